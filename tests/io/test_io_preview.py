"""render_preview: the mesh drawn over its image, each kind of line in its own colour."""

from __future__ import annotations

import numpy as np
import pytest

from spinelift.core.mesh import Mesh
from spinelift.io.preview import PreviewStyle, preview_scale, render_preview

STYLE = PreviewStyle()


def near(picture: np.ndarray, x: float, y: float, colour: tuple[int, int, int]) -> bool:
    """Whether a pixel within 1 px of (x, y) is within 40 of ``colour`` on every channel."""
    xi, yi = round(x), round(y)
    patch = picture[yi - 1 : yi + 2, xi - 1 : xi + 2, :3].astype(int).reshape(-1, 3)
    return bool((np.abs(patch - colour).max(axis=1) <= 40).any())


def to_preview(x: float, y: float, scale: float) -> tuple[float, float]:
    return STYLE.margin + x * scale - 0.5, STYLE.margin + y * scale - 0.5


def test_small_images_are_enlarged_by_a_whole_factor(ring: tuple[np.ndarray, Mesh]) -> None:
    image, mesh = ring
    scale = preview_scale(12, 10)
    assert scale == 16  # 512 // 12 = 42, capped at 16
    picture = render_preview(image, mesh)
    assert picture.shape == (10 * scale + 2 * STYLE.margin, 12 * scale + 2 * STYLE.margin, 4)
    assert picture.dtype == np.uint8 and (picture[..., 3] == 255).all()
    assert preview_scale(2000, 300) == 1


def test_each_kind_of_edge_has_its_colour_where_it_lies(ring: tuple[np.ndarray, Mesh]) -> None:
    image, mesh = ring
    s = 10.0
    picture = render_preview(image, mesh, scale=s)
    # hull edge (1, 1)-(11, 1), midpoint away from vertices
    assert near(picture, *to_preview(6, 1, s), STYLE.hull)
    # hole edge (4, 3)-(4, 7)
    assert near(picture, *to_preview(4, 5, s), STYLE.hole)
    # interior edge (1, 1)-(8, 3), at a third of the way
    assert near(picture, *to_preview(1 + 7 / 3, 1 + 2 / 3, s), STYLE.interior)
    # every vertex is a dot
    for x, y in mesh.vertices:
        assert near(picture, *to_preview(x, y, s), STYLE.vertex)
    # and no hull colour in the middle of the hole
    assert not near(picture, *to_preview(6, 5, s), STYLE.hull)


def test_transparent_pixels_show_the_checkerboard(ring: tuple[np.ndarray, Mesh]) -> None:
    image, mesh = ring
    picture = render_preview(image, mesh, scale=10)
    hole = picture[STYLE.margin + 45 : STYLE.margin + 55, STYLE.margin + 55 : STYLE.margin + 65, :3]
    colours = {tuple(int(c) for c in px) for px in hole.reshape(-1, 3)}
    assert colours <= {STYLE.checker_light, STYLE.checker_dark}
    art = picture[STYLE.margin + 55, STYLE.margin + 102, :3]  # image pixel (10, 5), off lines
    assert art.tolist() == [200, 120, 60]


def test_output_is_deterministic(ring: tuple[np.ndarray, Mesh]) -> None:
    image, mesh = ring
    assert (render_preview(image, mesh) == render_preview(image, mesh)).all()


def test_large_images_can_be_scaled_down(ring: tuple[np.ndarray, Mesh]) -> None:
    image, mesh = ring
    picture = render_preview(image, mesh, scale=0.5)
    assert picture.shape[:2] == (5 + 2 * STYLE.margin, 6 + 2 * STYLE.margin)


def test_mismatched_image_and_mesh_are_refused(ring: tuple[np.ndarray, Mesh]) -> None:
    image, mesh = ring
    with pytest.raises(ValueError, match="mesh"):
        render_preview(image[:5], mesh)
    with pytest.raises(ValueError, match="scale"):
        render_preview(image, mesh, scale=0)
