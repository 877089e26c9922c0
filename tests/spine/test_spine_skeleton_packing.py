"""MaxRects page packing: no overlap, padding kept, inside the page, deterministic."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinelift.spine import PackedPages, pack_rects, packing

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


def _plain_smallest_square(
    names: list[str], sizes: Mapping[str, tuple[int, int]], max_side: int
) -> dict[str, tuple[int, int]]:
    """The straightforward MaxRects and binary search the packer must match placement for
    placement: free rectangles as (x, y, width, height), every piece checked against all."""

    def inside(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
        ax, ay, aw, ah = a
        bx, by, bw, bh = b
        return bx <= ax and by <= ay and ax + aw <= bx + bw and ay + ah <= by + bh

    def pack(side: int) -> dict[str, tuple[int, int]]:
        free = [(0, 0, side, side)]
        placed: dict[str, tuple[int, int]] = {}
        for name in names:
            w, h = sizes[name]
            fits = [(*sorted((fw - w, fh - h)), fy, fx) for fx, fy, fw, fh in free
                    if w <= fw and h <= fh]  # fmt: skip
            if not fits:
                continue
            *_, y, x = min(fits)
            placed[name] = (x, y)
            pieces = set()
            for f in free:
                fx, fy, fw, fh = f
                if x >= fx + fw or x + w <= fx or y >= fy + fh or y + h <= fy:
                    pieces.add(f)
                    continue
                cuts = [(fx, fy, x - fx, fh), (x + w, fy, fx + fw - x - w, fh),
                        (fx, fy, fw, y - fy), (fx, y + h, fw, fy + fh - y - h)]  # fmt: skip
                pieces.update(c for c in cuts if c[2] > 0 and c[3] > 0)
            free = [p for p in pieces if not any(p != q and inside(p, q) for q in pieces)]
        return placed

    best = pack(max_side)
    if len(best) < len(names):
        return best
    area = sum(sizes[n][0] * sizes[n][1] for n in names)
    low, high = max(max(max(sizes[n]) for n in names), int(area**0.5)), max_side
    while low < high:
        mid = (low + high) // 2
        placed = pack(mid)
        if len(placed) == len(names):
            high, best = mid, placed
        else:
            low = mid + 1
    return best


@given(sizes_strategy, st.integers(0, 4), st.sampled_from([64, 100, 256]))
def test_layout_is_the_plain_maxrects_layout(
    sizes: dict[str, tuple[int, int]], pad: int, max_size: int
) -> None:
    most = max_size - 2 * pad
    sizes = {n: (min(w, most), min(h, most)) for n, (w, h) in sizes.items()}
    expected = packing.pack_rects(sizes, max_size=max_size, padding=pad)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(packing, "_smallest_square", _plain_smallest_square)
        assert packing.pack_rects(sizes, max_size=max_size, padding=pad) == expected
