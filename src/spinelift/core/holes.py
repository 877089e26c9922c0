"""Mask -> polygons inside the holes of the art, clear of every kept pixel square.

A *hole* is a 4-connected background part that does not touch the image border.
OpenCV's border following (``findContours``, 8-connected art, 4-connected
background; Suzuki & Abe 1985) traces exactly one hole border per hole, around
it, so the bounding box of each hole border (grown by one pixel) holds its whole
hole. Labelling those boxes instead of the whole image finds the same holes at a
fraction of the cost: a background part of a box that does not touch the box's
edge is a whole hole of the image (it has no neighbour outside the box), and each
hole lies whole in its own border's box. Holes found in several boxes (nested
ones) are kept once, in the order of their first pixel in a row-by-row scan.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pyclipper as pc

from spinelift.core.mask import BoolMask
from spinelift.core.outline import (
    MITER_LIMIT,
    SAFETY,
    SCALE,
    IntPath,
    new_clipper,
    outer_paths,
    signed_area,
    to_float,
    to_int,
)

FloatArray = npt.NDArray[np.float64]
Box = tuple[int, int, int, int]
"""(x, y, width, height) in pixels."""


def hole_polygons(
    mask: BoolMask, min_area: float, eps: float, borders: list[Box]
) -> list[FloatArray]:
    """Polygons (pixels) lying inside holes of the mask, clear of every kept pixel square.

    ``borders``: the bounding boxes of the mask's hole borders (see
    :func:`spinelift.core.outline.outer_contours`). Holes smaller than ``min_area``
    pixels, and holes with art inside them, give nothing (they will be filled).
    Each result is (k, 2) float64, oriented opposite to the hull (negative shoelace
    area in y-down pixels).
    """
    result: list[FloatArray] = []
    for _, (x, y, part) in sorted(_holes(mask, min_area, borders).items()):
        contours, _ = cv2.findContours(part, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if len(contours) != 1:
            continue  # art inside the hole: fill it rather than cut around it
        contour = np.asarray(contours[0], dtype=np.int32).reshape(-1, 2) + np.array(
            [x, y], dtype=np.int32
        )
        result.extend(_inner_polygons(contour, min_area, eps))
    return result


def _holes(
    mask: BoolMask, min_area: float, borders: list[Box]
) -> dict[tuple[int, int], tuple[int, int, npt.NDArray[np.uint8]]]:
    """Holes of at least ``min_area`` pixels, keyed by their first pixel (row, column):
    (x, y, part) with ``part`` the hole's pixels (uint8) in its bounding box at (x, y)."""
    height, width = mask.shape
    found: dict[tuple[int, int], tuple[int, int, npt.NDArray[np.uint8]]] = {}
    for bx, by, bw, bh in borders:
        x0, y0 = max(bx - 1, 0), max(by - 1, 0)
        x1, y1 = min(bx + bw + 1, width), min(by + bh + 1, height)
        if (x1 - x0) * (y1 - y0) < min_area:  # the hole lies inside the box
            continue
        box = (~mask[y0:y1, x0:x1]).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(box, connectivity=4)
        box_h, box_w = box.shape
        for label in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[label])
            if x == 0 or y == 0 or x + w == box_w or y + h == box_h or area < min_area:
                continue
            first = (y0 + y, x0 + x + int(np.argmax(labels[y, x : x + w] == label)))
            if first not in found:
                part = (labels[y : y + h, x : x + w] == label).astype(np.uint8)
                found[first] = (x0 + x, y0 + y, part)
    return found


def _inner_polygons(
    contour: npt.NDArray[np.int32], min_area: float, eps: float
) -> list[FloatArray]:
    region = _oriented(to_int(contour))
    simplified = _oriented(to_int(cv2.approxPolyDP(contour.reshape(-1, 1, 2), eps, True)))
    if len(region) < 3 or len(simplified) < 3:
        return []
    shrink = pc.PyclipperOffset(MITER_LIMIT)
    shrink.AddPath(simplified, pc.JT_MITER, pc.ET_CLOSEDPOLYGON)
    inner = shrink.Execute(-(eps + SAFETY) * SCALE)
    guard = pc.PyclipperOffset(MITER_LIMIT)
    guard.AddPath(region, pc.JT_MITER, pc.ET_CLOSEDPOLYGON)
    limit = guard.Execute(-SAFETY * SCALE)
    if not inner or not limit:
        return []
    clipper = new_clipper()
    clipper.AddPaths(inner, pc.PT_SUBJECT, True)
    clipper.AddPaths(limit, pc.PT_CLIP, True)
    pieces = outer_paths(clipper.Execute2(pc.CT_INTERSECTION, pc.PFT_NONZERO, pc.PFT_NONZERO))
    out = []
    for piece in pieces:
        ring = to_float(piece)
        if abs(signed_area(ring)) >= min_area:
            out.append(ring if signed_area(ring) < 0 else ring[::-1].copy())
    return out


def _oriented(path: IntPath) -> IntPath:
    """The path with Clipper's positive orientation (needed before shrinking it)."""
    return path if len(path) < 3 or pc.Orientation(path) else path[::-1]
