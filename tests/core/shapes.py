"""Small masks and RGBA images drawn for the engine's tests (made here, no third-party art)."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

RGBA = npt.NDArray[np.uint8]


def rgba_from_mask(mask: npt.NDArray[np.bool_], alpha: int = 255) -> RGBA:
    """(H, W) bool -> (H, W, 4) uint8, kept pixels grey with the given alpha."""
    img = np.zeros((*mask.shape, 4), dtype=np.uint8)
    img[mask] = (120, 140, 160, alpha)
    return img


def disk(h: int, w: int, cx: float, cy: float, r: float) -> npt.NDArray[np.bool_]:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.asarray((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= r * r)


def two_eyes() -> RGBA:
    """Two separate eyes on one layer: the case the seed's largest-contour rule gets wrong."""
    mask = disk(40, 90, 20, 20, 14) | disk(40, 90, 70, 20, 14)
    return rgba_from_mask(mask)


def ring(size: int = 80, outer: float = 34, inner: float = 18) -> RGBA:
    c = size / 2
    return rgba_from_mask(disk(size, size, c, c, outer) & ~disk(size, size, c, c, inner))


def diagonal_stroke(size: int = 64, thickness: int = 1) -> RGBA:
    img = np.zeros((size, size, 4), dtype=np.uint8)
    cv2.line(img, (2, 3), (size - 4, size - 9), (10, 20, 30, 255), thickness, cv2.LINE_8)
    return img


def comb(size: int = 60) -> RGBA:
    """A deeply concave shape: a bar with long teeth."""
    mask = np.zeros((size, size), dtype=bool)
    mask[:8, :] = True
    for x in range(2, size - 2, 9):
        mask[:, x : x + 3] = True
    return rgba_from_mask(mask)


def soft_blob(size: int = 120) -> RGBA:
    """An anti-aliased blob with semi-transparent edges, touching the right border."""
    img = np.zeros((size, size, 4), dtype=np.uint8)
    cv2.ellipse(img, (70, 60), (50, 35), 20, 0, 360, (200, 90, 40, 255), -1, cv2.LINE_AA)
    cv2.circle(img, (size - 5, 40), 20, (200, 90, 40, 255), -1, cv2.LINE_AA)
    return img
