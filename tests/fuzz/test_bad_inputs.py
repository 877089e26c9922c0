"""A table of named bad inputs, each with the error it must give (issue 7, "bad input
tried"): decompression bombs refused from the header, truncations, wrong content, empty
and degenerate images, colour modes, hostile layer names; and the CLI on each bad file
(a documented exit code and ``error: CODE: message``, never a traceback).

Every input is made here, byte by byte or with Pillow/psd-tools; none is third-party art.
"""

from __future__ import annotations

import io
import json
import re
import resource
import struct
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from psd_tools import PSDImage

from spinelift.cli.exit_codes import ExitCode
from spinelift.cli.main import main
from spinelift.core import build_mesh
from spinelift.errors import SpineLiftError
from spinelift.io.export import ExportOptions, export_document
from spinelift.io.image import read_image
from spinelift.io.psd import read_psd, write_sample_psd
from tests.fuzz.mutations import png_chunk, psd_fields

HEADER_ONLY_PEAK = 1 << 20
"""tracemalloc peak allowed while refusing a bomb from its header: 1 MiB"""
HEADER_ONLY_RSS = 16 << 20
"""growth of the process' peak RSS allowed meanwhile (Pillow's C buffers are not traced)"""

# ---------------------------------------------------------------------------- inputs


def _png(
    width: int, height: int, *, colour_type: int = 6, depth: int = 8, idat: bytes = b""
) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    body = png_chunk(b"IHDR", header) + (png_chunk(b"IDAT", idat) if idat else b"")
    return b"\x89PNG\r\n\x1a\n" + body + png_chunk(b"IEND", b"")


def _zlib_bomb_png() -> bytes:
    """8192 x 8192 greyscale of zeros: 64 MiB of pixels in a ~65 KB file."""
    side = 8192
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return _png(side, side, colour_type=0, idat=idat)


def _pil_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _rgba_png(width: int = 30, height: int = 20) -> bytes:
    rgba = np.random.default_rng(1).integers(0, 256, (height, width, 4), dtype=np.uint8)
    return _pil_png(Image.fromarray(rgba, "RGBA"))


def _psd_header(width: int, height: int, *, version: int = 1, mode: int = 3) -> bytes:
    header = struct.pack(">4sH6sHIIHH", b"8BPS", version, b"\0" * 6, 3, height, width, 8, mode)
    lengths = b"\0" * 4 + b"\0" * 4 + b"\0" * (4 if version == 1 else 8)
    return header + lengths + b"\0\0"  # raw image data follows (none: the header decides)


def _save(psd: PSDImage) -> bytes:
    buffer = io.BytesIO()
    psd.save(buffer)
    return buffer.getvalue()


def _make_sample() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return write_sample_psd(Path(folder) / "sample.psd", scale=0.1).read_bytes()


_SAMPLE = _make_sample()


def _with_field(data: bytes, name: str, value: int) -> bytes:
    """``data`` with the PSD field ``name`` (see :func:`psd_fields`) set to ``value``."""
    field = next(f for f in psd_fields(data) if f.name == name)
    out = bytearray(data)
    out[field.offset : field.offset + field.width] = value.to_bytes(field.width, "big")
    return bytes(out)


def _layer_offset(data: bytes) -> int:
    return next(f.offset for f in psd_fields(data) if f.name == "layer 0 top")


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _float_tiff() -> bytes:
    buffer = io.BytesIO()
    Image.new("F", (3, 3), 0.5).save(buffer, format="TIFF")
    return buffer.getvalue()


def _lab_psd() -> bytes:
    psd = PSDImage.new("LAB", (6, 6))
    psd.create_pixel_layer(Image.new("LAB", (3, 3), (50, 0, 0)), name="lab", top=1, left=1)
    return _save(psd)


@dataclass(frozen=True)
class Bad:
    """One bad input: its file name (the suffix picks the CLI's reader), its bytes, the
    reader that must refuse it and the error code it must give."""

    name: str
    make: Callable[[], bytes]
    reader: str  # "image" (read_image) or "psd" (read_psd)
    code: str


PNG = _rgba_png()

BAD_INPUTS = [
    # decompression bombs: refused from the header, before any pixel is allocated
    Bad("bomb_100000x100000.png", lambda: _png(100_000, 100_000), "image", "IMAGE_TOO_LARGE"),
    Bad("bomb_100000x1.png", lambda: _png(100_000, 1), "image", "IMAGE_TOO_LARGE"),
    Bad("bomb_zlib_8192.png", _zlib_bomb_png, "image", "IMAGE_TOO_LARGE"),
    Bad("bomb_canvas_300000.psd", lambda: _psd_header(300_000, 300_000), "psd", "IMAGE_TOO_LARGE"),
    Bad(
        "bomb_canvas_300000.psb",
        lambda: _psd_header(300_000, 300_000, version=2),
        "psd",
        "IMAGE_TOO_LARGE",
    ),
    Bad("bomb_canvas_30000x1.psd", lambda: _psd_header(30_000, 1), "psd", "IMAGE_TOO_LARGE"),
    # empty and degenerate
    Bad("zero_bytes.png", lambda: b"", "image", "IMAGE_LOAD_FAILED"),
    Bad("zero_bytes.psd", lambda: b"", "psd", "DOCUMENT_INVALID"),
    Bad("zero_by_zero.png", lambda: _png(0, 0), "image", "IMAGE_LOAD_FAILED"),
    Bad("zero_wide.png", lambda: _png(0, 7), "image", "IMAGE_LOAD_FAILED"),
    Bad("zero_by_zero.psd", lambda: _psd_header(0, 0), "psd", "DOCUMENT_INVALID"),
    # truncated
    Bad("cut_in_signature.png", lambda: PNG[:5], "image", "IMAGE_LOAD_FAILED"),
    Bad("cut_in_ihdr.png", lambda: PNG[:20], "image", "IMAGE_LOAD_FAILED"),
    Bad("cut_after_ihdr.png", lambda: PNG[:33], "image", "IMAGE_LOAD_FAILED"),
    Bad("cut_in_idat.png", lambda: PNG[: len(PNG) // 2], "image", "IMAGE_LOAD_FAILED"),
    Bad("cut_near_idat_end.png", lambda: PNG[: len(PNG) - 40], "image", "IMAGE_LOAD_FAILED"),
    Bad("cut_in_header.psd", lambda: _SAMPLE[:10], "psd", "DOCUMENT_INVALID"),
    Bad("cut_after_header.psd", lambda: _SAMPLE[:26], "psd", "DOCUMENT_INVALID"),
    Bad("cut_in_resources.psd", lambda: _SAMPLE[:40], "psd", "DOCUMENT_INVALID"),
    Bad(
        "cut_in_layer_records.psd",
        lambda: _SAMPLE[: _layer_offset(_SAMPLE) + 30],
        "psd",
        "DOCUMENT_INVALID",
    ),
    Bad("cut_in_layer_pixels.psd", lambda: _SAMPLE[: len(_SAMPLE) // 2], "psd", "DOCUMENT_INVALID"),
    # damaged fields
    Bad(
        "bad_ihdr_crc.png",
        lambda: PNG[:29] + bytes([PNG[29] ^ 1]) + PNG[30:],
        "image",
        "IMAGE_LOAD_FAILED",
    ),
    Bad(
        "bad_idat_byte.png",
        lambda: PNG[:-20] + bytes([PNG[-20] ^ 1]) + PNG[-19:],
        "image",
        "IMAGE_LOAD_FAILED",
    ),
    Bad(
        "layer_count_32767.psd",
        lambda: _with_field(_SAMPLE, "layer count", 0x7FFF),
        "psd",
        "DOCUMENT_INVALID",
    ),
    Bad(
        "channel_length_4g.psd",
        lambda: _with_field(_SAMPLE, "layer 0 channel 0 length", 0xFFFFFFFF),
        "psd",
        "DOCUMENT_INVALID",
    ),
    Bad(
        "resources_length_4g.psd",
        lambda: _with_field(_SAMPLE, "image resources length", 0xFFFFFFFF),
        "psd",
        "DOCUMENT_INVALID",
    ),
    Bad("depth_7.psd", lambda: _with_field(_SAMPLE, "depth", 7), "psd", "DOCUMENT_INVALID"),
    Bad("channels_0.psd", lambda: _with_field(_SAMPLE, "channels", 0), "psd", "DOCUMENT_INVALID"),
    # wrong content for the name
    Bad("jpeg_named.psd", _jpeg, "psd", "DOCUMENT_INVALID"),
    Bad("text_named.psd", lambda: b"just some notes\n" * 4, "psd", "DOCUMENT_INVALID"),
    Bad("png_named.psd", lambda: PNG, "psd", "DOCUMENT_INVALID"),
    Bad("psd_named.png", lambda: _SAMPLE, "image", "IMAGE_LOAD_FAILED"),
    Bad("text_named.png", lambda: b"<html>not an image</html>", "image", "IMAGE_LOAD_FAILED"),
    # colour modes SpineLift refuses
    Bad("lab.psd", _lab_psd, "psd", "UNSUPPORTED_DOCUMENT"),
    Bad(
        "colour_mode_5.psd",
        lambda: _with_field(_SAMPLE, "colour mode", 5),
        "psd",
        "UNSUPPORTED_DOCUMENT",
    ),
    Bad("float_tiff_named.png", _float_tiff, "image", "UNSUPPORTED_IMAGE"),
]


def _read(bad: Bad, data: bytes) -> object:
    if bad.reader == "image":
        return read_image(data)
    return read_psd(data, name=bad.name)


def _refusal(bad: Bad) -> tuple[SpineLiftError, int, int]:
    """The error ``bad`` gives, with the tracemalloc peak and the peak-RSS growth."""
    data = bad.make()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    try:
        with pytest.raises(SpineLiftError) as caught:
            _read(bad, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    return caught.value, peak, rss_growth


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[bad.name for bad in BAD_INPUTS])
def test_bad_input_gives_its_error_code_and_a_message(bad: Bad) -> None:
    error, _, _ = _refusal(bad)
    assert error.code == bad.code, f"{bad.name}: {error}"
    assert error.message and str(error) == f"{error.code}: {error.message}"
    json.dumps(error.to_dict())  # the services send it as is


BOMBS = [bad for bad in BAD_INPUTS if bad.name.startswith("bomb_")]


@pytest.mark.parametrize("bad", BOMBS, ids=[bad.name for bad in BOMBS])
def test_bombs_are_refused_from_the_header_before_allocating(bad: Bad) -> None:
    error, peak, rss_growth = _refusal(bad)
    assert error.code == "IMAGE_TOO_LARGE"
    assert peak < HEADER_ONLY_PEAK, f"{bad.name}: traced peak {peak} bytes"
    assert rss_growth < HEADER_ONLY_RSS, f"{bad.name}: peak RSS grew by {rss_growth} bytes"
    assert {"width", "height"} <= error.details.keys()


def test_a_zero_size_png_says_it_has_no_pixels() -> None:
    with pytest.raises(SpineLiftError) as caught:
        read_image(_png(0, 5))
    assert "0x5" in caught.value.message and caught.value.details["width"] == 0


# ------------------------------------------------------------- what must still work


def _rgba16_png(value: int) -> bytes:
    rows = b"".join(b"\x00" + struct.pack(">HHHH", value, 0, value, 65535) * 3 for _ in range(2))
    return _png(3, 2, depth=16, idat=zlib.compress(rows))


def test_sixteen_bit_pngs_read_as_eight_bit() -> None:
    grey = np.full((4, 5), 257 * 200, dtype=np.uint16)
    rgba = read_image(_pil_png(Image.fromarray(grey)))
    assert rgba.shape == (4, 5, 4) and (rgba[..., 0] == 200).all() and (rgba[..., 3] == 255).all()
    colour = read_image(_rgba16_png(257 * 10))
    assert colour.shape == (2, 3, 4) and colour[0, 0].tolist() == [10, 0, 10, 255]


def test_sixteen_bit_and_cmyk_psds_are_converted() -> None:
    wide = PSDImage.new("RGB", (6, 6), depth=16)
    wide.create_pixel_layer(Image.new("RGBA", (3, 3), (255, 0, 0, 255)), name="red", top=1)
    document = read_psd(_save(wide))
    assert document.depth == 16 and document.layers[0].rgba[0, 0].tolist() == [255, 0, 0, 255]
    cmyk = PSDImage.new("CMYK", (6, 6))
    cmyk.create_pixel_layer(Image.new("CMYK", (3, 3), (255, 0, 0, 0)), name="cyan", top=1)
    document = read_psd(_save(cmyk))
    assert document.color_mode == "CMYK"
    assert document.layers[0].rgba[0, 0].tolist() == [0, 255, 255, 255]


def test_one_opaque_pixel_meshes_and_zero_pixels_are_refused() -> None:
    one = read_image(_pil_png(Image.new("RGBA", (1, 1), (9, 9, 9, 255))))
    mesh = build_mesh(one)
    assert mesh.vertex_count >= 3 and mesh.triangle_count >= 1
    with pytest.raises(SpineLiftError) as caught:
        build_mesh(np.zeros((0, 0, 4), dtype=np.uint8))
    assert caught.value.code == "IMAGE_LOAD_FAILED" and "0x0" in caught.value.message


def test_a_fully_transparent_image_has_nothing_to_mesh() -> None:
    clear = read_image(_pil_png(Image.new("RGBA", (6, 6), (255, 0, 0, 0))))
    with pytest.raises(SpineLiftError) as caught:
        build_mesh(clear)
    assert caught.value.code == "NO_OPAQUE_PIXELS"


def test_a_fully_transparent_psd_layer_is_skipped() -> None:
    psd = PSDImage.new("RGB", (8, 8))
    psd.create_pixel_layer(Image.new("RGBA", (4, 4), (0, 0, 0, 0)), name="clear")
    psd.create_pixel_layer(Image.new("RGBA", (2, 2), (1, 2, 3, 255)), name="solid")
    document = read_psd(_save(psd))
    assert [layer.name for layer in document.layers] == ["solid"]
    assert document.skipped[0][0] == "clear" and "transparent" in document.skipped[0][1]


def test_huge_layer_bounds_skip_the_layer_with_a_reason() -> None:
    damaged = _with_field(_SAMPLE, "layer 0 bottom", 0x7FFFFFFF)
    document = read_psd(damaged)
    assert document.skipped[0][1].startswith("could not be drawn")
    assert len(document.layers) == len(read_psd(_SAMPLE).layers) - 1


# ------------------------------------------------------------------- hostile names

HOSTILE_NAMES = (
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "..\\..\\windows\\win.ini",
    "/absolute/path",
    'quote" and \\ backslash',
    "new\nline: 1,1",
    "CON",
)


def _hostile_psd() -> bytes:
    psd = PSDImage.new("RGB", (60, 60))
    group = psd.create_group(name="../../group")
    for index, name in enumerate(HOSTILE_NAMES):
        parent = group if index == 0 else psd
        square = Image.new("RGBA", (5, 5), (255, 40 * index % 256, 0, 255))
        parent.create_pixel_layer(square, name=name, top=index * 8, left=index * 8)
    return _save(psd)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


@pytest.mark.parametrize("atlas", [True, False], ids=["atlas", "loose_images"])
def test_hostile_layer_names_stay_inside_the_output_and_inside_json_strings(
    tmp_path: Path, atlas: bool
) -> None:
    document = read_psd(_hostile_psd())
    assert {layer.name for layer in document.layers} == set(HOSTILE_NAMES)
    output = tmp_path / "deep" / "er" / "out"
    export_document(document, output, ExportOptions(atlas=atlas))
    root = output.resolve()
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert written
    for path in written:
        assert path.resolve().is_relative_to(root), f"written outside the output: {path}"
        assert not path.is_symlink()
    skeleton = output / "document.json"
    text = skeleton.read_text(encoding="utf-8")
    value = json.loads(text)
    # outside string literals only JSON punctuation, numbers and literals remain
    structure = _STRING.sub('""', text)
    assert re.fullmatch(r'[\s{}\[\]:,"0-9eE+\-.truefalsn]*', structure), structure[:200]
    strings = _strings(value)
    for name in HOSTILE_NAMES:  # as given, or made a safe relative path ("/a/b" -> "a/b")
        assert name in strings or name.strip("/") in strings, f"{name!r} not in a JSON string"
    if atlas:
        regions = [
            line
            for line in (output / "document.atlas").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith((" ", "\t")) and ":" not in line.split("/")[-1]
        ]
        assert all("\n" not in region and ".." not in region for region in regions)


def _strings(value: object) -> set[str]:
    found: set[str] = set()
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            found.add(key)
            found |= _strings(item)
    elif isinstance(value, list):
        for item in value:
            found |= _strings(item)
    return found


# --------------------------------------------------------------------------- the CLI

TRACEBACK = "Traceback (most recent call last)"


CLI_CASES = [("convert", bad) for bad in BAD_INPUTS] + [
    ("mesh", bad) for bad in BAD_INPUTS if bad.reader == "image"
]


@pytest.mark.parametrize(("command", "bad"), CLI_CASES, ids=[f"{c}-{b.name}" for c, b in CLI_CASES])
def test_the_cli_reports_each_bad_file_with_its_code_and_no_traceback(
    command: str, bad: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    art = tmp_path / bad.name
    art.write_bytes(bad.make())
    code = main([command, str(art), "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    expected = bad.code
    if command == "mesh" and bad.reader == "psd":
        expected = "IMAGE_LOAD_FAILED"
    # the one exit-code table: a bad input is BAD_INPUT whatever is wrong with it
    assert code == ExitCode.BAD_INPUT, captured.err
    assert re.search(rf"^error: {expected}: \S", captured.err, re.MULTILINE), captured.err
    assert TRACEBACK not in captured.err + captured.out
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_cli_refuses_a_psd_with_only_transparent_layers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    psd = PSDImage.new("RGB", (8, 8))
    psd.create_pixel_layer(Image.new("RGBA", (4, 4), (0, 0, 0, 0)), name="clear")
    art = tmp_path / "clear.psd"
    art.write_bytes(_save(psd))
    assert main(["convert", str(art), "-o", str(tmp_path / "out")]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert re.search(r"^error: NO_LAYERS: \S", err, re.MULTILINE) and TRACEBACK not in err


def test_the_cli_meshes_a_one_pixel_png_and_refuses_a_transparent_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "one.png"
    one.write_bytes(_pil_png(Image.new("RGBA", (1, 1), (9, 9, 9, 255))))
    assert main(["mesh", str(one), "-o", str(tmp_path / "one.json")]) == 0
    assert json.loads((tmp_path / "one.json").read_text())["type"] == "mesh"
    clear = tmp_path / "clear.png"
    clear.write_bytes(_pil_png(Image.new("RGBA", (3, 3), (0, 0, 0, 0))))
    capsys.readouterr()
    assert main(["mesh", str(clear), "-o", str(tmp_path / "clear.json")]) == 1
    err = capsys.readouterr().err
    assert re.search(r"^error: NO_OPAQUE_PIXELS: \S", err, re.MULTILINE) and TRACEBACK not in err
