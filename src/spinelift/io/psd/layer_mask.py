"""A layer's mask multiplied into its stored pixels' alpha (the reader's fast path).

For 8-bit masks the product is a table look-up: the same float32 product as the float
path, worked out once for all 256 x 256 (alpha, mask level) pairs, so the bytes are the
same; other depths keep the float product pixel by pixel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from spinelift.io.image import zero_transparent
from spinelift.io.psd.pixels import RgbaArray, to_byte


def apply_mask(layer: Any, rgba: RgbaArray) -> RgbaArray:
    """Multiply an enabled layer mask (inside its box; its background colour outside)
    into the alpha of ``rgba``, the layer's stored pixels over the layer's box, and clear
    the pixels left transparent (:func:`~spinelift.io.psd.pixels.zero_transparent`)."""
    if not layer.has_mask() or layer.mask.disabled:
        return zero_transparent(rgba)
    mask = layer.mask
    plane = layer.numpy("mask")
    box: tuple[int, int, int, int] | None = None
    inside: npt.NDArray[np.float32] | None = None
    if plane is not None and plane.size:
        values = np.asarray(plane, dtype=np.float32).reshape(plane.shape[0], plane.shape[1])
        x0, y0 = mask.left - layer.left, mask.top - layer.top
        h, w = int(rgba.shape[0]), int(rgba.shape[1])
        cx0, cy0 = max(0, x0), max(0, y0)
        cx1, cy1 = min(w, x0 + values.shape[1]), min(h, y0 + values.shape[0])
        if cx0 < cx1 and cy0 < cy1:
            inside = values[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
            if (cx0, cy0, cx1, cy1) == (0, 0, w, h) and bool((inside == 1.0).all()):
                return zero_transparent(rgba)  # a mask revealing the whole layer
            box = (cx0, cy0, cx1, cy1)
    out = rgba.copy()
    alpha = masked_alpha_8bit(out[..., 3], mask.background_color, box, inside)
    if alpha is None:  # not 8-bit mask levels: the float product, pixel by pixel
        full = np.full(rgba.shape[:2], mask.background_color / 255.0, dtype=np.float32)
        if box is not None and inside is not None:
            full[box[1] : box[3], box[0] : box[2]] = inside
        alpha = to_byte(out[..., 3].astype(np.float32) / 255.0 * full)
    out[..., 3] = alpha
    return zero_transparent(out)


_LEVELS = np.arange(256, dtype=np.uint8).astype(np.float32) / 255.0
"""The float32 value psd-tools gives each 8-bit mask level (``level / 255.0`` in float32)."""
_PRODUCT = np.empty(0, dtype=np.uint8)
"""``to_byte(alpha / 255 * level)`` for every (alpha, mask level) pair: 256 x 256."""


def masked_alpha_8bit(
    alpha: RgbaArray,
    background: int,
    box: tuple[int, int, int, int] | None,
    inside: npt.NDArray[np.float32] | None,
) -> RgbaArray | None:
    """The masked alpha by table look-up: the same float32 product as the float path,
    worked out once for all 256 x 256 (alpha, mask level) pairs. ``None`` when the mask
    holds values that are not 8-bit levels (16- and 32-bit documents)."""
    global _PRODUCT
    if _PRODUCT.size == 0:
        _PRODUCT = to_byte(_LEVELS[:, None] * _LEVELS[None, :]).ravel()
    # every alpha against the background level, as np.full(..., dtype=float32) stores it
    row = to_byte(_LEVELS * np.float32(background / 255.0))
    result: RgbaArray = row[alpha]
    if box is None or inside is None:
        return result
    scaled = np.rint(inside * 255.0)
    if not ((scaled >= 0.0).all() and (scaled <= 255.0).all()):  # NaN fails both
        return None
    levels = scaled.astype(np.uint8)
    if not np.array_equal(_LEVELS[levels], inside):
        return None
    x0, y0, x1, y1 = box
    index = alpha[y0:y1, x0:x1].astype(np.uint16) << 8 | levels
    result[y0:y1, x0:x1] = _PRODUCT[index]
    return result
