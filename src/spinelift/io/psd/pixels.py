"""Pixel helpers of the PSD reader: float planes to bytes, images trimmed to what they
show."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RgbaArray = npt.NDArray[np.uint8]


def to_byte(values: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    """Float values in [0, 1] as bytes (x 255, rounded half to even)."""
    # NaN (a 32-bit file can hold one) becomes 0; values past 1 (HDR) are clipped
    clean = np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0)
    scaled: npt.NDArray[np.uint8] = np.rint(np.clip(clean, 0.0, 1.0) * 255.0).astype(np.uint8)
    return scaled


def trim(rgba: RgbaArray, left: int, top: int) -> tuple[RgbaArray, int, int] | None:
    """Cut ``rgba`` (placed at left, top) to its pixels with alpha > 0; ``None`` if none."""
    rows = np.flatnonzero(rgba[..., 3].any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(rgba[..., 3].any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return np.ascontiguousarray(rgba[y0:y1, x0:x1]), left + x0, top + y0
