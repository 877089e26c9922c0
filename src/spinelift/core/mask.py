"""RGBA pixels -> the boolean mask of pixels the mesh must cover.

A pixel is *kept* when its alpha is above ``alpha_threshold``. Blur, padding
and the island policy are applied here; blur and padding only ever add pixels,
so no kept pixel is lost on the way to the outline.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from spinelift.core.settings import IslandPolicy, MeshSettings
from spinelift.errors import EmptyImageError

BoolMask = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class MaskResult:
    """The masks the later stages need.

    ``kept``: (H, W) bool, the art pixels that must be covered (after the island policy).
    ``shape``: (H, W) bool, ``kept`` plus blur and padding: what the outline follows.
    ``islands``: number of 8-connected parts in the thresholded art, or 0 when the
    island policy did not need to count them (the outline stage counts them then).
    """

    kept: BoolMask
    shape: BoolMask
    islands: int


def alpha_mask(rgba: npt.NDArray[np.uint8], alpha_threshold: int) -> BoolMask:
    """(H, W) bool: pixels of ``rgba`` (H, W, 4) whose alpha is above the threshold."""
    if rgba.flags.c_contiguous:  # OpenCV copies the channel out faster than a strided view
        return np.asarray(cv2.extractChannel(rgba, 3) > alpha_threshold)
    return np.asarray(rgba[:, :, 3] > alpha_threshold)


def count(mask: BoolMask) -> int:
    """Number of True pixels (``mask.sum()``, faster)."""
    return int(cv2.countNonZero(as_bytes(mask)))


def as_bytes(mask: BoolMask) -> npt.NDArray[np.uint8]:
    """The mask as 0/1 bytes, without a copy when it is contiguous."""
    return np.ascontiguousarray(mask).view(np.uint8)


def build_masks(rgba: npt.NDArray[np.uint8], settings: MeshSettings) -> MaskResult:
    """Threshold, apply the island policy, then blur and pad.

    Raises :class:`EmptyImageError` when no pixel passes the threshold.
    """
    kept = alpha_mask(rgba, settings.alpha_threshold)
    if not kept.any():
        raise EmptyImageError(
            f"no pixel has alpha above {settings.alpha_threshold}: nothing to mesh "
            "(lower alpha_threshold, or check that the layer is not empty)",
            details={"alpha_threshold": settings.alpha_threshold},
        )
    kept, islands = _apply_island_policy(kept, settings)
    shape = kept
    if settings.blur_kernel_size > 1:
        k = settings.blur_kernel_size
        blurred = cv2.GaussianBlur(kept.astype(np.uint8) * 255, (k, k), 0)
        shape = shape | (blurred > settings.binary_threshold)
    if settings.padding > 0:
        size = 2 * settings.padding + 1
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        shape = cv2.dilate(shape.astype(np.uint8), disk).astype(bool)
    return MaskResult(kept=kept, shape=shape, islands=islands)


def _apply_island_policy(kept: BoolMask, settings: MeshSettings) -> tuple[BoolMask, int]:
    policy = settings.island_policy
    if policy is IslandPolicy.BRIDGE:
        return kept, 0  # labelling a large mask costs more than the whole rest: skip it
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        kept.astype(np.uint8), connectivity=8
    )
    islands = count - 1
    if islands <= 1:
        return kept, islands
    areas = stats[1:, cv2.CC_STAT_AREA]
    if policy is IslandPolicy.LARGEST:
        keep_labels = [int(np.argmax(areas)) + 1]  # argmax: the first of equals, deterministic
    else:  # DROP_SMALL: never drop everything
        keep_labels = [i + 1 for i, a in enumerate(areas) if a >= settings.min_contour_area]
        if not keep_labels:
            keep_labels = [int(np.argmax(areas)) + 1]
    return np.isin(labels, keep_labels), islands
