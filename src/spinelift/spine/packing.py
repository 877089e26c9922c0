"""Rectangle packing for texture atlas pages: MaxRects, best short side fit.

Pure and deterministic: the same sizes give the same layout whatever order they come
in. Written here rather than taken from ``rectpack`` (last released 2021, untyped):
the algorithm is short, and the atlas needs exact control of padding, page growth and
ordering.

Each rectangle is placed whole in one page, never rotated (a rotated region would
need the mesh uvs rotated too). Each page is the smallest square that the binary
search finds to hold everything left, or a full ``max_size`` page filled as far as it
goes, then trimmed to what it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_Rect = tuple[int, int, int, int]
"""left, top, right, bottom (right and bottom exclusive)"""


@dataclass(frozen=True)
class Placement:
    """Where one rectangle went: page index and top-left corner (y down)."""

    page: int
    x: int
    y: int


@dataclass(frozen=True)
class PackedPages:
    """The layout: each name's placement and each page's size."""

    placements: dict[str, Placement]
    page_sizes: tuple[tuple[int, int], ...]


def pack_rects(
    sizes: Mapping[str, tuple[int, int]],
    *,
    max_size: int,
    padding: int = 0,
    power_of_two: bool = False,
) -> PackedPages:
    """Place rectangles ``name -> (width, height)`` on pages no larger than ``max_size``.

    Rectangles never overlap, lie inside their page, and keep at least ``padding`` pixels
    from each other and from the page edges. Every rectangle must fit on an empty page
    (``ValueError`` otherwise; the caller says why to the user). Pages are trimmed to the
    area they use, or rounded up to powers of two with ``power_of_two`` (``max_size``
    must then be one).
    """
    if max_size <= 0 or padding < 0:
        raise ValueError(f"need max_size > 0 and padding >= 0, got {max_size}, {padding}")
    if power_of_two and _next_power_of_two(max_size) != max_size:
        raise ValueError(f"max_size {max_size} is not a power of two")
    for name, (w, h) in sizes.items():
        if w <= 0 or h <= 0:
            raise ValueError(f"{name!r} has an empty size {w}x{h}")
        if max(w, h) + 2 * padding > max_size:
            raise ValueError(
                f"{name!r} ({w}x{h}) with {padding} px padding is larger than a {max_size} px page"
            )
    # each rectangle claims its padding on the right and below; the bin loses `padding`
    # on those sides and everything shifts by `padding`, so the top and left edges get it
    footprints = {name: (w + padding, h + padding) for name, (w, h) in sizes.items()}
    # biggest first, names break ties: the layout does not depend on the input order
    remaining = sorted(sizes, key=lambda n: (-max(sizes[n]), -sizes[n][0] * sizes[n][1], n))
    placements: dict[str, Placement] = {}
    page_sizes: list[tuple[int, int]] = []
    while remaining:
        placed = _smallest_square(remaining, footprints, max_size - padding)
        page = len(page_sizes)
        for name, (x, y) in placed.items():
            placements[name] = Placement(page, x + padding, y + padding)
        width = max(x + footprints[n][0] for n, (x, _) in placed.items()) + padding
        height = max(y + footprints[n][1] for n, (_, y) in placed.items()) + padding
        if power_of_two:
            width, height = _next_power_of_two(width), _next_power_of_two(height)
        page_sizes.append((width, height))
        remaining = [n for n in remaining if n not in placed]
    return PackedPages(placements, tuple(page_sizes))


def _smallest_square(
    names: list[str], sizes: Mapping[str, tuple[int, int]], max_side: int
) -> dict[str, tuple[int, int]]:
    """The layout in the smallest square bin (binary search on the side) that holds all
    ``names``; when none does, a ``max_side`` bin holding what fits."""
    best = _pack_bin(names, sizes, max_side)
    if len(best) < len(names):
        return best
    area = sum(sizes[n][0] * sizes[n][1] for n in names)
    low = max(max(max(sizes[n]) for n in names), int(area**0.5))
    high = max_side
    while low < high:
        mid = (low + high) // 2
        # a probe that misses one name fails: the rest of its layout is never used
        placed = _pack_bin(names, sizes, mid, give_up=True)
        if len(placed) == len(names):
            high, best = mid, placed
        else:
            low = mid + 1
    return best


def _pack_bin(
    names: list[str], sizes: Mapping[str, tuple[int, int]], side: int, *, give_up: bool = False
) -> dict[str, tuple[int, int]]:
    """MaxRects (best short side fit, then best long side, then top-left) in a square bin;
    names that do not fit are left out (``give_up``: stop at the first one).

    Free rectangles are ``(left, top, right, bottom)``. The free list never holds one
    rectangle inside another, and a tie on the whole score means the same corner, so the
    layout does not depend on the list's order.
    """
    free: list[_Rect] = [(0, 0, side, side)]
    placed: dict[str, tuple[int, int]] = {}
    for name in names:
        w, h = sizes[name]
        # scores are below side + 1: the first rectangle that fits always wins
        best_short = best_long = best_y = best_x = side + 1
        for fx, fy, fr, fb in free:
            dw = fr - fx - w
            dh = fb - fy - h
            if dw < 0 or dh < 0:
                continue
            short, long = (dw, dh) if dw < dh else (dh, dw)
            if short < best_short or (
                short == best_short
                and (
                    long < best_long
                    or (long == best_long and (fy < best_y or (fy == best_y and fx < best_x)))
                )
            ):
                best_short, best_long, best_y, best_x = short, long, fy, fx
        if best_short > side:
            if give_up:
                return placed
            continue
        placed[name] = (best_x, best_y)
        free = _split_free(free, best_x, best_y, best_x + w, best_y + h)
    return placed


def _split_free(free: list[_Rect], ux: int, uy: int, ur: int, ub: int) -> list[_Rect]:
    """The free rectangles once ``(ux, uy, ur, ub)`` is taken: each one it overlaps is cut
    into up to four maximal pieces; pieces inside another free rectangle are dropped.

    Only a new piece can lie inside something. An untouched rectangle never lies inside a
    piece (it would lie inside the piece's parent, and no free rectangle holds another).
    A piece left of the used one spans rows the used one spans, so an untouched rectangle
    holding it ends exactly at ``ux``; likewise ``ur``, ``uy``, ``ub`` for the others.
    """
    untouched: list[_Rect] = []
    edge: list[_Rect] = []  # untouched rectangles that may hold a piece
    pieces: set[_Rect] = set()
    for f in free:
        fx, fy, fr, fb = f
        if ux >= fr or ur <= fx or uy >= fb or ub <= fy:
            untouched.append(f)
            if fr == ux or fx == ur or fb == uy or fy == ub:
                edge.append(f)
            continue
        if ux > fx:
            pieces.add((fx, fy, ux, fb))
        if ur < fr:
            pieces.add((ur, fy, fr, fb))
        if uy > fy:
            pieces.add((fx, fy, fr, uy))
        if ub < fb:
            pieces.add((fx, ub, fr, fb))
    candidates = [*edge, *pieces]
    for p in pieces:
        px, py, pr, pb = p
        for q in candidates:
            if q[0] <= px and q[1] <= py and pr <= q[2] and pb <= q[3] and q != p:
                break
        else:
            untouched.append(p)
    return untouched


def _next_power_of_two(value: int) -> int:
    return 1 << max(0, value - 1).bit_length()
