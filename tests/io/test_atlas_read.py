"""Reading atlas regions back to original-size images (io.atlas_read), every rotation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spinelift.errors import ImageLoadError, ImageNotFoundError
from spinelift.io.atlas_read import read_atlas


def picture(width: int = 6, height: int = 4) -> np.ndarray:
    """An image whose every pixel is different, with a 1 px transparent border."""
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    values = np.arange(1, (width - 2) * (height - 2) + 1, dtype=np.uint8).reshape(
        height - 2, width - 2
    )
    rgba[1:-1, 1:-1, 0] = values * 7
    rgba[1:-1, 1:-1, 1] = values
    rgba[1:-1, 1:-1, 3] = 255
    return rgba


@pytest.mark.parametrize(("degrees", "turns"), [(0, 0), (90, 1), (180, 2), (270, 3)])
def test_rotated_trimmed_regions_come_back_upright_at_their_original_size(
    tmp_path: Path, degrees: int, turns: int
) -> None:
    original = picture()
    trimmed = original[1:-1, 1:-1]  # 4 x 2 at offsets (1, 1) from the bottom-left
    packed = np.rot90(trimmed, turns)  # how the packer stores a region rotated by `degrees`
    page = np.zeros((16, 16, 4), dtype=np.uint8)
    page[3 : 3 + packed.shape[0], 5 : 5 + packed.shape[1]] = packed
    Image.fromarray(page, "RGBA").save(tmp_path / "page.png")
    rotate = {0: "false", 90: "true"}.get(degrees, str(degrees))
    text = f"page.png\nsize: 16,16\npart\nbounds: 5,3,4,2\noffsets: 1,1,6,4\nrotate: {rotate}\n"
    (tmp_path / "a.atlas").write_text(text, encoding="utf-8")
    atlas = read_atlas(tmp_path / "a.atlas")
    np.testing.assert_array_equal(atlas.image("part"), original)


def test_legacy_format_and_errors(tmp_path: Path) -> None:
    original = picture()
    Image.fromarray(original, "RGBA").save(tmp_path / "page.png")
    legacy = "page.png\nsize: 6,4\nformat: RGBA8888\nfilter: Linear,Linear\nrepeat: none\n"
    legacy += "part\n  rotate: false\n  xy: 0, 0\n  size: 6, 4\n"
    legacy += "  orig: 6, 4\n  offset: 0, 0\n  index: -1\n"
    (tmp_path / "old.atlas").write_text(legacy, encoding="utf-8")
    atlas = read_atlas(tmp_path / "old.atlas")
    assert "part" in atlas and "other" not in atlas
    np.testing.assert_array_equal(atlas.image("part"), original)
    with pytest.raises(ImageNotFoundError):
        atlas.image("other")
    (tmp_path / "empty.atlas").write_text("page.png\nsize: 6,4\n", encoding="utf-8")
    with pytest.raises(ImageLoadError):
        read_atlas(tmp_path / "empty.atlas")
    with pytest.raises(ImageLoadError):
        read_atlas(tmp_path / "missing.atlas")
