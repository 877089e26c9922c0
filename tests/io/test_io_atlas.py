"""Atlas pages: every region's pixels exactly where the atlas text says, nothing between.

The atlas text is read back with the runtime-rule reader of
``tests/spine/test_spine_skeleton_atlas_format.py`` (spine-ts ``TextureAtlas.ts``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from spinelift.errors import InvalidParametersError
from spinelift.io.atlas import PackedAtlas, pack_atlas, write_atlas
from tests.spine.test_spine_skeleton_atlas_format import read_atlas


def image(w: int, h: int, seed: int) -> np.ndarray:
    """A fully opaque image of distinct colours (so misplaced pixels show)."""
    rng = np.random.default_rng(seed)
    rgba = rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8)
    rgba[:, :, 3] = 255
    return rgba


IMAGES = {
    "head": image(40, 30, 1),
    "body/torso": image(60, 80, 2),
    "body/arm": image(12, 50, 3),
    "eye": image(5, 5, 4),
}


def covered(atlas: PackedAtlas, page: int, grow: int = 0) -> np.ndarray:
    """Mask of the page pixels that regions (grown by ``grow``) cover."""
    h, w = atlas.images[page].shape[:2]
    mask = np.zeros((h, w), dtype=bool)
    for region in atlas.pages[page].regions:
        y0, x0 = max(0, region.y - grow), max(0, region.x - grow)
        mask[y0 : region.y + region.height + grow, x0 : region.x + region.width + grow] = True
    return mask


def test_regions_hold_their_images_and_gutters_are_transparent() -> None:
    atlas = pack_atlas(IMAGES, name="hero")
    for index, page in enumerate(atlas.pages):
        pixels = atlas.images[index]
        assert pixels.shape == (page.height, page.width, 4)
        for region in page.regions:
            crop = pixels[region.y : region.y + region.height, region.x : region.x + region.width]
            assert np.array_equal(crop, IMAGES[region.name])
        assert not pixels[~covered(atlas, index)].any()  # transparent black elsewhere


def test_the_text_reads_back_with_the_runtime_rules() -> None:
    atlas = pack_atlas(IMAGES, name="hero")
    (page,) = read_atlas(atlas.text)
    assert page["name"] == "hero.png" and not page["pma"]
    assert (page["width"], page["height"]) == atlas.images[0].shape[1::-1]
    for region in page["regions"]:
        x, y, w, h = region["bounds"]
        assert np.array_equal(atlas.images[0][y : y + h, x : x + w], IMAGES[region["name"]])
    assert sorted(r["name"] for r in page["regions"]) == sorted(IMAGES)


def test_output_is_deterministic_whatever_the_order() -> None:
    forwards = pack_atlas(IMAGES)
    backwards = pack_atlas(dict(reversed(list(IMAGES.items()))))
    assert forwards.text == backwards.text
    assert all(np.array_equal(a, b) for a, b in zip(forwards.images, backwards.images, strict=True))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 70), st.integers(1, 70)), min_size=1, max_size=25),
    st.integers(0, 3),
    st.integers(0, 2),
)
def test_regions_never_overlap_and_stay_on_their_page(
    sizes: list[tuple[int, int]], padding: int, extrude: int
) -> None:
    images = {f"r{i}": image(w, h, i) for i, (w, h) in enumerate(sizes)}
    atlas = pack_atlas(images, max_page_size=128, padding=padding, extrude=extrude)
    for index, page in enumerate(atlas.pages):
        assert page.width <= 128 and page.height <= 128
        owner = np.full((page.height, page.width), -1)
        for k, region in enumerate(page.regions):
            # the region grown by its extrusion plus the padding is claimed by nobody else
            y0, x0 = region.y - extrude, region.x - extrude
            block = owner[
                y0 : region.y + region.height + extrude, x0 : region.x + region.width + extrude
            ]
            assert y0 >= padding and x0 >= padding and (block == -1).all()
            block[...] = k
            assert np.array_equal(
                atlas.images[index][
                    region.y : region.y + region.height, region.x : region.x + region.width
                ],
                images[region.name],
            )
        # every pixel outside the extruded regions is transparent: no bleeding between them
        assert not atlas.images[index][owner == -1].any()


def test_more_pages_when_one_is_not_enough() -> None:
    images = {f"part{i}": image(100, 100, i) for i in range(6)}
    atlas = pack_atlas(images, name="big", max_page_size=256)
    assert [p.name for p in atlas.pages] == ["big.png", "big_2.png"]
    pages = read_atlas(atlas.text)
    assert [p["name"] for p in pages] == ["big.png", "big_2.png"]
    assert sum(len(p["regions"]) for p in pages) == 6


def test_power_of_two_pages() -> None:
    atlas = pack_atlas(IMAGES, power_of_two=True)
    for page in atlas.pages:
        assert page.width & (page.width - 1) == 0 and page.height & (page.height - 1) == 0


def test_extrusion_repeats_the_edge_inside_the_padding() -> None:
    rgba = image(4, 3, 7)
    atlas = pack_atlas({"a": rgba}, padding=2, extrude=1)
    _, region = atlas.region("a")
    page = atlas.images[0]
    assert (region.x, region.y) == (3, 3)  # 2 px padding, then 1 px of extrusion
    assert np.array_equal(page[region.y - 1, region.x : region.x + 4], rgba[0])
    assert np.array_equal(page[region.y - 1, region.x - 1], rgba[0, 0])
    assert np.array_equal(page[region.y + 3, region.x + 4], rgba[2, 3])
    assert not page[: region.y - 1].any() and not page[:, : region.x - 1].any()


def test_bleed_colours_transparent_pixels_but_keeps_alpha() -> None:
    rgba = np.zeros((3, 5, 4), dtype=np.uint8)
    rgba[1, 1] = (200, 100, 50, 255)
    atlas = pack_atlas({"a": rgba}, bleed=2)
    _, region = atlas.region("a")
    crop = atlas.images[0][region.y : region.y + 3, region.x : region.x + 5]
    assert np.array_equal(crop[:, :, 3], rgba[:, :, 3])
    assert tuple(crop[0, 0, :3]) == (200, 100, 50) and tuple(crop[2, 3, :3]) == (200, 100, 50)
    assert tuple(crop[0, 4, :3]) == (0, 0, 0)  # three rings away: untouched


def test_premultiplied_alpha_pages_say_so() -> None:
    rgba = np.full((2, 2, 4), 255, dtype=np.uint8)
    rgba[:, :, 3] = 128
    atlas = pack_atlas({"a": rgba}, premultiply_alpha=True)
    _, region = atlas.region("a")
    assert atlas.images[0][region.y, region.x].tolist() == [128, 128, 128, 128]
    assert read_atlas(atlas.text)[0]["pma"] is True


def test_a_region_too_large_for_a_page_is_refused_with_what_to_do() -> None:
    with pytest.raises(InvalidParametersError) as info:
        pack_atlas({"huge": np.zeros((10, 300, 4), np.uint8)}, max_page_size=256)
    assert "huge (300x10)" in info.value.message and "page size" in info.value.message
    assert info.value.details["max_page_size"] == 256


@pytest.mark.parametrize("name", ["../evil", "/abs", "a\\b", "a:b", " a", "con"])
def test_unsafe_region_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidParametersError, match="safe paths"):
        pack_atlas({name: image(2, 2, 0)})


def test_names_that_clash_as_files_are_refused() -> None:
    with pytest.raises(InvalidParametersError, match="same file"):
        pack_atlas({"Arm": image(2, 2, 0), "arm": image(2, 2, 1)})


def test_bad_settings_and_arrays_are_refused() -> None:
    with pytest.raises(InvalidParametersError, match="padding"):
        pack_atlas(IMAGES, padding=-1)
    with pytest.raises(InvalidParametersError, match="name"):
        pack_atlas(IMAGES, name="../x")
    with pytest.raises(InvalidParametersError, match="at least one"):
        pack_atlas({})
    with pytest.raises(ValueError, match="uint8"):
        pack_atlas({"a": np.zeros((2, 2, 3), np.uint8)})


def test_write_atlas_writes_pages_and_text(tmp_path: Path) -> None:
    atlas = pack_atlas(IMAGES, name="hero", max_page_size=128)
    paths = write_atlas(atlas, tmp_path / "out")
    assert [p.name for p in paths] == [*(p.name for p in atlas.pages), "hero.atlas"]
    text = (tmp_path / "out" / "hero.atlas").read_text(encoding="utf-8")
    assert text == atlas.text
    for page, pixels in zip(atlas.pages, atlas.images, strict=True):
        with Image.open(tmp_path / "out" / page.name) as png:
            assert np.array_equal(np.asarray(png.convert("RGBA")), pixels)
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temp files
