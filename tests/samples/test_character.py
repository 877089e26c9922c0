"""The sample character: layers are well formed, anti-aliased, deterministic,
and carry the shapes a mesher must handle (two islands, a hole, a thin stroke)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spinelift.errors import InvalidParametersError
from spinelift.samples import CANVAS_SIZE, SampleLayer, canvas_size, composite, draw_character
from spinelift.samples.character import MARGIN

SCALE = 0.5


@pytest.fixture(scope="module")
def layers() -> list[SampleLayer]:
    return draw_character(SCALE)


@pytest.fixture(scope="module")
def by_name(layers: list[SampleLayer]) -> dict[str, SampleLayer]:
    return {layer.name: layer for layer in layers}


def _kept(layer: SampleLayer, threshold: int = 10) -> np.ndarray:
    return (layer.rgba[..., 3] > threshold).astype(np.uint8)


def test_canvas_is_about_512_by_768_at_scale_1() -> None:
    assert CANVAS_SIZE == (512, 768)
    assert canvas_size() == (512, 768)
    assert canvas_size(SCALE) == (256, 384)


def test_every_part_is_there_back_to_front(layers: list[SampleLayer]) -> None:
    names = [layer.name for layer in layers]
    assert len(names) == len(set(names))
    for part in ("hair", "head", "eyes", "mouth", "torso", "belt_buckle", "staff"):
        assert part in names
    assert names.index("hair") < names.index("head") < names.index("eyes")


def test_layers_are_rgba_uint8_on_the_canvas(layers: list[SampleLayer]) -> None:
    width, height = canvas_size(SCALE)
    for layer in layers:
        assert layer.rgba.dtype == np.uint8
        assert layer.rgba.ndim == 3
        assert layer.rgba.shape[2] == 4
        assert (layer.height, layer.width) == layer.rgba.shape[:2]
        assert layer.left >= 0
        assert layer.left + layer.width <= width
        assert layer.top >= 0
        assert layer.top + layer.height <= height


def test_layers_are_trimmed_with_a_margin(layers: list[SampleLayer]) -> None:
    for layer in layers:
        alpha = layer.rgba[..., 3]
        rows = np.flatnonzero(alpha.any(axis=1))
        cols = np.flatnonzero(alpha.any(axis=0))
        assert rows[0] == MARGIN and cols[0] == MARGIN, layer.name
        assert layer.height - 1 - rows[-1] == MARGIN, layer.name
        assert layer.width - 1 - cols[-1] == MARGIN, layer.name


def test_edges_are_anti_aliased(layers: list[SampleLayer]) -> None:
    for layer in layers:
        alpha = layer.rgba[..., 3]
        assert (alpha == 255).any(), layer.name
        assert ((alpha > 0) & (alpha < 255)).sum() >= 20, layer.name
        # transparent pixels carry no stray colour
        assert not layer.rgba[alpha == 0].any(), layer.name


def test_drawing_is_deterministic() -> None:
    first, second = draw_character(SCALE), draw_character(SCALE)
    for a, b in zip(first, second, strict=True):
        assert (a.name, a.left, a.top) == (b.name, b.left, b.top)
        assert a.rgba.tobytes() == b.rgba.tobytes()


def test_layers_are_read_only(layers: list[SampleLayer]) -> None:
    with pytest.raises(ValueError):
        layers[0].rgba[0, 0, 0] = 1


def test_eyes_are_one_layer_with_two_islands(by_name: dict[str, SampleLayer]) -> None:
    count, _ = cv2.connectedComponents(_kept(by_name["eyes"]), connectivity=8)
    assert count - 1 == 2


def test_other_parts_are_one_island(by_name: dict[str, SampleLayer]) -> None:
    for name in ("head", "hair", "torso", "staff", "belt_buckle", "mouth"):
        count, _ = cv2.connectedComponents(_kept(by_name[name]), connectivity=8)
        assert count - 1 == 1, name


def test_belt_buckle_has_a_hole(by_name: dict[str, SampleLayer]) -> None:
    contours, hierarchy = cv2.findContours(
        _kept(by_name["belt_buckle"]), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE
    )
    holes = [c for c, h in zip(contours, hierarchy[0], strict=True) if h[3] >= 0]
    assert len(holes) == 1
    assert cv2.contourArea(holes[0]) > 10  # larger than the default min_contour_area


def test_staff_is_a_thin_stroke() -> None:
    staff = {layer.name: layer for layer in draw_character(1.0)}["staff"]
    kept = _kept(staff, threshold=127)
    widths = kept.sum(axis=1)
    middle = widths[staff.height // 4 : 3 * staff.height // 4]
    assert 2 <= middle.max() <= 8
    assert staff.height > 300


def test_hair_has_concavities(by_name: dict[str, SampleLayer]) -> None:
    kept = _kept(by_name["hair"])
    contours, _ = cv2.findContours(kept, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea)
    hull_area = cv2.contourArea(cv2.convexHull(outline))
    assert cv2.contourArea(outline) < 0.85 * hull_area


def test_scale_changes_size_proportionally() -> None:
    small = {layer.name: layer for layer in draw_character(0.25)}
    large = {layer.name: layer for layer in draw_character(SCALE)}
    for name, layer in large.items():
        kept_small = int(_kept(small[name], 127).sum())
        kept_large = int(_kept(layer, 127).sum())
        assert kept_large == pytest.approx(4 * kept_small, rel=0.35), name


@pytest.mark.parametrize("scale", [0.0, 0.05, 2.5, float("nan")])
def test_scale_out_of_range_is_refused(scale: float) -> None:
    with pytest.raises(InvalidParametersError):
        draw_character(scale)


def test_composite_draws_back_to_front(layers: list[SampleLayer]) -> None:
    size = canvas_size(SCALE)
    image = composite(layers, size)
    assert image.shape == (size[1], size[0], 4)
    assert image.dtype == np.uint8
    head = next(layer for layer in layers if layer.name == "head")
    eyes = next(layer for layer in layers if layer.name == "eyes")
    # an eye pixel shows the eye's colour, not the head's skin underneath
    ys, xs = np.nonzero(eyes.rgba[..., 3] == 255)
    y, x = int(ys[0]), int(xs[0])
    pixel = image[eyes.top + y, eyes.left + x]
    assert pixel[3] == 255
    assert tuple(pixel[:3]) == tuple(eyes.rgba[y, x, :3])
    # the canvas is transparent where no part is
    assert image[0, 0, 3] == 0
    # the head is fully opaque in its middle
    cy, cx = head.top + head.height // 2, head.left + head.width // 2
    assert image[cy, cx, 3] == 255


def test_composite_of_nothing_is_transparent() -> None:
    image = composite([], (8, 6))
    assert image.shape == (6, 8, 4)
    assert not image.any()
