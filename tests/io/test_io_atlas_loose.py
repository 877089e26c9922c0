"""Loose images: one PNG per region in Spine's images folder, never outside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spinelift.errors import InvalidParametersError
from spinelift.io.atlas import write_loose_images
from spinelift.spine import unique_paths


def test_each_region_becomes_a_png_under_its_path(tmp_path: Path) -> None:
    red = np.zeros((3, 4, 4), np.uint8)
    red[..., 0] = red[..., 3] = 255
    paths = write_loose_images({"body/arm": red, "ひだり": red[:2]}, tmp_path / "images")
    assert [p.relative_to(tmp_path.resolve()).as_posix() for p in paths] == [
        "images/body/arm.png",
        "images/ひだり.png",
    ]
    with Image.open(paths[0]) as png:
        assert np.array_equal(np.asarray(png.convert("RGBA")), red)


@pytest.mark.parametrize("name", ["../escape", "/etc/x", "a/../../b", "..\\x", "a:b"])
def test_names_that_could_leave_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidParametersError):
        write_loose_images({name: np.zeros((1, 1, 4), np.uint8)}, tmp_path / "images")
    assert not (tmp_path / "escape.png").exists() and not (tmp_path / "images").exists()


def test_layer_names_made_safe_write_inside_the_folder(tmp_path: Path) -> None:
    names = unique_paths(["../escape", "Escape", "<b>x</b>"])
    pixels = np.full((1, 1, 4), 255, np.uint8)
    paths = write_loose_images(dict.fromkeys(names, pixels), tmp_path / "images")
    root = (tmp_path / "images").resolve()
    assert all(p.is_relative_to(root) for p in paths) and len(set(paths)) == 3
