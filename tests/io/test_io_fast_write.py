"""The fast writing path gives the same pictures: PNG bytes may change with the
compression level, pixels never; the ring-by-ring bleed equals the whole-image sum;
the 8-bit character preview shows each layer and mesh where it lies.

Pixels are checked with Pillow, a decoder independent of the encoder (libpng in OpenCV).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from spinelift.core.mesh import Mesh
from spinelift.io.atlas import _bleed, pack_atlas, write_atlas
from spinelift.io.character_preview import PlacedMesh, render_character_preview
from spinelift.io.image import encode_png
from spinelift.io.preview import PreviewStyle


def _decode(data: bytes) -> npt.NDArray[np.uint8]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return np.asarray(image).copy()


def _art(rng: np.random.Generator, h: int, w: int) -> npt.NDArray[np.uint8]:
    """Random colours with random transparent holes, like anti-aliased layer art."""
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(rng.random((h, w)) < rng.random(), 0, rgba[..., 3])
    return rgba


@pytest.mark.parametrize("level", range(10))
def test_every_level_decodes_to_the_same_pixels(level: int) -> None:
    rng = np.random.default_rng(level)
    for shape in [(1, 1, 4), (7, 5, 4), (64, 33, 4), (40, 41, 3)]:
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        pixels[: shape[0] // 2] = 0  # a transparent block, as on an atlas page
        data = encode_png(pixels, compress_level=level)
        assert data == encode_png(pixels, compress_level=level)  # deterministic
        assert np.array_equal(_decode(data), pixels)
        with Image.open(io.BytesIO(data)) as image:
            assert image.mode == ("RGBA" if shape[2] == 4 else "RGB")


def test_levels_change_bytes_not_pixels() -> None:
    pixels = _art(np.random.default_rng(3), 96, 80)
    fast, small, stored = (encode_png(pixels, compress_level=n) for n in (1, 9, 0))
    assert len({fast, small, stored}) == 3
    assert len(stored) > len(fast)
    for data in (fast, small, stored):
        assert np.array_equal(_decode(data), pixels)


def test_refuses_levels_outside_zlib_range() -> None:
    with pytest.raises(ValueError, match="0-9"):
        encode_png(np.zeros((2, 2, 4), np.uint8), compress_level=10)


def test_atlas_pages_on_disk_hold_exactly_the_packed_pixels(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    images = {f"part{i}": _art(rng, int(h), int(w)) for i, (h, w) in
              enumerate(rng.integers(5, 90, (12, 2)))}  # fmt: skip
    atlas = pack_atlas(images, name="x", max_page_size=128, padding=2, bleed=2)
    assert len(atlas.pages) > 1
    folder = tmp_path
    write_atlas(atlas, folder)
    for page, pixels in zip(atlas.pages, atlas.images, strict=True):
        assert np.array_equal(_decode((folder / page.name).read_bytes()), pixels)


def _bleed_whole_image(rgba: npt.NDArray[np.uint8], steps: int) -> npt.NDArray[np.uint8]:
    """The straightforward bleed: each ring from sums of shifted copies of the whole image."""
    out = rgba.copy()
    known = out[:, :, 3] > 0
    colour = out[:, :, :3].astype(np.float64)
    h, w = known.shape
    for _ in range(steps):
        if known.all() or not known.any():
            break
        total = np.zeros_like(colour)
        count = np.zeros(known.shape, dtype=np.float64)
        padded_c = np.pad(colour * known[:, :, None], ((1, 1), (1, 1), (0, 0)))
        padded_k = np.pad(known.astype(np.float64), 1)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy or dx:
                    total += padded_c[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
                    count += padded_k[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        grow = ~known & (count > 0)
        colour[grow] = total[grow] / count[grow][:, None]
        known = known | grow
    transparent = (out[:, :, 3] == 0)[:, :, None]
    out[:, :, :3] = np.where(transparent, np.round(colour).astype(np.uint8), out[:, :, :3])
    return out


def test_bleed_equals_the_whole_image_sum_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    for trial in range(200):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        rgba = _art(rng, h, w)
        if trial % 7 == 0:
            rgba[..., 3] = 0  # nothing coloured: nothing to spread
        for steps in (0, 1, 2, 4):
            expected = _bleed_whole_image(rgba, steps)
            got = _bleed(rgba, steps)
            assert np.array_equal(got, expected), (trial, steps)
            assert np.array_equal(got[..., 3], rgba[..., 3])


def _square_mesh(size: int) -> Mesh:
    from spinelift.core.mesh import MeshStats

    return Mesh(
        np.array([[0, 0], [size, 0], [size, size], [0, size]], dtype=np.float64),
        np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32),
        4,
        np.array([[0, 1], [1, 2], [2, 3], [3, 0]], dtype=np.int32),
        size,
        size,
        MeshStats(kept_pixels=size * size, islands=1, holes_kept=0),
    )


def test_character_preview_shows_layers_in_place_with_their_meshes() -> None:
    style = PreviewStyle()
    red = np.zeros((40, 40, 4), np.uint8)
    red[...] = (220, 20, 20, 255)
    half_blue = np.zeros((40, 40, 4), np.uint8)
    half_blue[...] = (20, 20, 220, 255)
    layers = [
        PlacedMesh(red, 10, 10, 1.0, True, _square_mesh(40)),
        PlacedMesh(half_blue, 100, 10, 0.5, True, None),
        PlacedMesh(red, 10, 100, 1.0, False, _square_mesh(40)),  # hidden: not drawn
    ]
    picture = render_character_preview((200, 160), layers, max_side=200, style=style)
    assert picture.shape == (160, 200, 3) and picture.dtype == np.uint8
    assert tuple(picture[40, 20]) == (220, 20, 20)  # inside the red layer, off its edges
    blue = picture[30, 120].astype(int)  # half-opaque blue over the checkerboard
    assert blue[2] > blue[0] + 40 and 100 < blue[2] < 220
    assert tuple(picture[120, 30]) in (style.checker_light, style.checker_dark)

    def nearest(box: npt.NDArray[np.uint8], colour: tuple[int, int, int]) -> int:
        return int(np.abs(box.reshape(-1, 3).astype(int) - np.array(colour)).sum(axis=1).min())

    assert nearest(picture[9:12, 20:40], style.hull) < 60  # the hull runs along the top
    assert nearest(picture[28:33, 28:33], style.interior) < 60  # the diagonal inside
    assert nearest(picture[100:150, 10:60], style.hull) > 150  # no mesh for a hidden layer


def test_regions_bleed_straight_onto_the_page_as_the_whole_image_sum() -> None:
    rng = np.random.default_rng(8)
    images = {f"r{i}": _art(rng, 12 + 5 * i, 30 - 2 * i) for i in range(6)}
    atlas = pack_atlas(images, name="x", max_page_size=256, padding=2, bleed=2)
    for name, rgba in images.items():
        page, region = atlas.region(name)
        y, x, h, w = region.y, region.x, region.height, region.width
        placed = atlas.images[page][y : y + h, x : x + w]
        assert np.array_equal(placed, _bleed_whole_image(rgba, 2))
