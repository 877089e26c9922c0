"""MaxRects page packing: no overlap, padding kept, inside the page, deterministic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinelift.spine import PackedPages, pack_rects

sizes_strategy = st.dictionaries(
    st.text(alphabet="abcdefgh", min_size=1, max_size=4),
    st.tuples(st.integers(1, 120), st.integers(1, 120)),
    min_size=1,
    max_size=40,
)


def assert_valid(
    layout: PackedPages, sizes: dict[str, tuple[int, int]], max_size: int, pad: int
) -> None:
    assert set(layout.placements) == set(sizes)
    boxes: dict[int, list[tuple[int, int, int, int]]] = {}
    for name, place in layout.placements.items():
        w, h = sizes[name]
        pw, ph = layout.page_sizes[place.page]
        assert pw <= max_size and ph <= max_size
        # inside the page, `pad` pixels from its edges
        assert place.x >= pad and place.y >= pad
        assert place.x + w + pad <= pw and place.y + h + pad <= ph
        boxes.setdefault(place.page, []).append((place.x, place.y, w, h))
    for page_boxes in boxes.values():
        for i, (ax, ay, aw, ah) in enumerate(page_boxes):
            for bx, by, bw, bh in page_boxes[i + 1 :]:
                # apart by at least `pad` pixels on one axis
                apart = (
                    ax + aw + pad <= bx or bx + bw + pad <= ax
                    or ay + ah + pad <= by or by + bh + pad <= ay
                )  # fmt: skip
                assert apart


@given(sizes_strategy, st.integers(0, 4))
def test_layouts_are_valid(sizes: dict[str, tuple[int, int]], pad: int) -> None:
    assert_valid(pack_rects(sizes, max_size=256, padding=pad), sizes, 256, pad)


@given(sizes_strategy)
def test_layout_does_not_depend_on_input_order(sizes: dict[str, tuple[int, int]]) -> None:
    backwards = dict(reversed(list(sizes.items())))
    assert pack_rects(sizes, max_size=256, padding=2) == pack_rects(
        backwards, max_size=256, padding=2
    )


def test_overflow_goes_to_more_pages() -> None:
    sizes = {f"r{i}": (100, 100) for i in range(10)}
    layout = pack_rects(sizes, max_size=256, padding=2)
    assert len(layout.page_sizes) == 3  # four 100 px squares fit on a 256 px page
    assert_valid(layout, sizes, 256, 2)


def test_one_small_region_gets_a_small_page() -> None:
    layout = pack_rects({"a": (10, 20)}, max_size=2048, padding=2)
    assert layout.page_sizes == ((14, 24),)
    assert layout.placements["a"].x == 2 and layout.placements["a"].y == 2


def test_power_of_two_pages() -> None:
    layout = pack_rects({"a": (10, 20), "b": (30, 5)}, max_size=2048, padding=2, power_of_two=True)
    for w, h in layout.page_sizes:
        assert w & (w - 1) == 0 and h & (h - 1) == 0
    with pytest.raises(ValueError, match="power of two"):
        pack_rects({"a": (1, 1)}, max_size=1000, power_of_two=True)


def test_pages_are_reasonably_full() -> None:
    sizes = {f"r{i:03}": (10 + (i * 37) % 90, 10 + (i * 53) % 90) for i in range(200)}
    layout = pack_rects(sizes, max_size=2048, padding=2)
    used = sum((w + 2) * (h + 2) for w, h in sizes.values())
    (page,) = layout.page_sizes
    assert used / (page[0] * page[1]) > 0.75


def test_a_rectangle_larger_than_a_page_is_refused() -> None:
    with pytest.raises(ValueError, match="larger than"):
        pack_rects({"big": (255, 10)}, max_size=256, padding=1)
    pack_rects({"fits": (254, 10)}, max_size=256, padding=1)
