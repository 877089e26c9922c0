"""read_image: every image becomes (H, W, 4) uint8, or a SpineLift error, never a crash."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spinelift.errors import ImageLoadError, ImageTooLargeError, UnsupportedImageError
from spinelift.io.image import read_image, write_png


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def test_rgba_is_read_as_is(tmp_path: Path) -> None:
    pixels = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "a.png"
    path.write_bytes(encode(Image.fromarray(pixels)))
    out = read_image(path)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    assert (out == pixels).all()
    assert out.flags.c_contiguous and out.flags.writeable


def test_bytes_are_accepted_like_a_path() -> None:
    data = encode(Image.new("RGBA", (2, 2), (1, 2, 3, 4)))
    assert read_image(data)[0, 0].tolist() == [1, 2, 3, 4]


def test_rgb_gets_opaque_alpha() -> None:
    out = read_image(encode(Image.new("RGB", (3, 2), (10, 20, 30))))
    assert (out == [10, 20, 30, 255]).all()


@pytest.mark.parametrize(
    ("mode", "colour", "expected"),
    [("L", 77, [77, 77, 77, 255]), ("LA", (77, 40), [77, 77, 77, 40]), ("1", 1, [255] * 4)],
)
def test_grey_modes_are_expanded(mode: str, colour: object, expected: list[int]) -> None:
    out = read_image(encode(Image.new(mode, (2, 2), colour)))  # type: ignore[arg-type]
    assert out[1, 1].tolist() == expected


def test_palette_transparency_becomes_alpha() -> None:
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 255, 0])
    image.putpixel((1, 0), 1)
    out = read_image(encode(image, transparency=0))
    assert out[0, 0, 3] == 0
    assert out[0, 1].tolist() == [0, 255, 0, 255]


def test_sixteen_bit_grey_is_scaled_to_eight_bits() -> None:
    wide = np.array([[0, 65535, 257, 32896]], dtype=np.uint16)
    out = read_image(encode(Image.fromarray(wide)))
    assert out[0, :, 0].tolist() == [0, 255, 1, 128]
    assert (out[..., 3] == 255).all()


def test_sixteen_bit_rgba_keeps_the_high_bytes(png_bytes: Callable[..., bytes]) -> None:
    pixel = struct.pack(">HHHH", 0xFF00, 0x8000, 0x0100, 0xFFFF)
    data = png_bytes(1, 1, bit_depth=16, colour_type=6, rows=b"\x00" + pixel)
    assert read_image(data)[0, 0].tolist() == [255, 128, 1, 255]


def test_cmyk_is_converted_to_rgb() -> None:
    out = read_image(encode(Image.new("CMYK", (2, 2), (0, 255, 0, 0)), "TIFF"))
    assert out[0, 0].tolist() == [255, 0, 255, 255]


def test_float_images_are_unsupported() -> None:
    with pytest.raises(UnsupportedImageError) as caught:
        read_image(encode(Image.new("F", (2, 2), 0.5), "TIFF"))
    assert caught.value.details["mode"] == "F"


def test_too_wide_is_refused_from_the_header_before_decoding(
    png_bytes: Callable[..., bytes],
) -> None:
    # no pixel data at all: decoding would fail as truncated, so this proves no decode
    data = png_bytes(5000, 10)
    with pytest.raises(ImageTooLargeError) as caught:
        read_image(data, max_dimension=4096)
    details = caught.value.details
    assert (details["width"], details["height"], details["max_dimension"]) == (5000, 10, 4096)


def test_too_many_pixels_is_refused_from_the_header(png_bytes: Callable[..., bytes]) -> None:
    with pytest.raises(ImageTooLargeError) as caught:
        read_image(png_bytes(3000, 3000), max_dimension=4096, max_pixels=4_000_000)
    assert caught.value.details["max_pixels"] == 4_000_000


@pytest.mark.parametrize("side", [10_000, 20_000])  # Pillow's warning, then its error
def test_decompression_bombs_are_refused(side: int, png_bytes: Callable[..., bytes]) -> None:
    with pytest.raises(ImageTooLargeError):
        read_image(png_bytes(side, side), max_dimension=side, max_pixels=side * side)


def test_truncated_file_is_a_load_error() -> None:
    data = encode(Image.new("RGBA", (40, 30), (1, 2, 3, 4)))
    with pytest.raises(ImageLoadError, match="truncated") as caught:
        read_image(data[: len(data) // 2])
    assert type(caught.value) is ImageLoadError


@pytest.mark.parametrize("data", [b"not an image at all", b"\x89PNG\r\n\x1a\n", b""])
def test_non_images_are_load_errors(data: bytes) -> None:
    with pytest.raises(ImageLoadError) as caught:
        read_image(data)
    assert type(caught.value) is ImageLoadError


def test_missing_file_and_folder_are_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError, match="does not exist"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(ImageLoadError, match="folder"):
        read_image(tmp_path)


def test_formats_outside_the_list_are_refused_unread() -> None:
    data = encode(Image.new("RGB", (2, 2)), "PPM")
    with pytest.raises(ImageLoadError, match="accepted"):
        read_image(data)


def test_write_png_round_trips_and_is_deterministic(tmp_path: Path) -> None:
    pixels = np.random.default_rng(4).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    first = write_png(tmp_path / "x.png", pixels).read_bytes()
    second = write_png(tmp_path / "y.png", pixels).read_bytes()
    assert first == second
    assert (read_image(tmp_path / "x.png") == pixels).all()


def test_write_png_leaves_no_temporary_file_and_keeps_the_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.png"
    target.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        write_png(target, np.zeros((2, 2, 4), dtype=np.uint8))
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


def test_write_png_refuses_arrays_of_another_shape(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="uint8"):
        write_png(tmp_path / "x.png", np.zeros((2, 2, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        write_png(tmp_path / "x.png", np.zeros((2, 2, 4), dtype=np.float32))
