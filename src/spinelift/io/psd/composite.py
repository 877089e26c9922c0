"""Render one psd-tools layer (or a group, flattened) into trimmed 8-bit RGBA.

psd-tools' compositor draws the layer the way Photoshop shows it: pixels, type
and shape layers, smart objects (their embedded preview), layer effects, the
layer mask, the vector mask, fill opacity and the layers clipped onto it. Two
things are taken back out, because Spine carries them itself:

- the layer's own opacity (it becomes the slot's alpha): the layer is drawn at
  full opacity, by reading the record at 255 for the duration of the call;
- the backdrop: the layer is drawn alone over a transparent canvas, so a blend
  mode (multiply, screen, ...) leaves the pixels as they are and Spine blends.

The result is straight (not premultiplied) alpha; fully transparent pixels are
zeroed, and the array is trimmed to the pixels with alpha > 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

RgbaArray = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]


def render_layer(
    layer: Any, viewport: Box, color_mode: str, include: Callable[[Any], bool]
) -> tuple[RgbaArray, int, int] | None:
    """Draw ``layer`` over ``viewport`` (left, top, right, bottom; canvas pixels).

    ``include(other)`` says whether a clipped layer or a group's child is drawn
    (``layer`` itself always is). ``color_mode``: the document's mode name (RGB,
    Grayscale, Duotone, Bitmap, CMYK). Returns ``(rgba, left, top)``: ``(h, w, 4)
    uint8`` trimmed to its non-transparent pixels and its canvas position, or
    ``None`` when nothing is left. Exceptions of psd-tools pass through.
    """
    if _is_plain(layer, include):
        stored = render_stored(layer, color_mode, masked=True)
        if stored is not None:
            return _crop(stored, viewport)
    composite = _compositor()
    with _full_opacity(layer):
        color, _shape, alpha = composite(
            layer,
            color=0.0,
            alpha=0.0,
            viewport=viewport,
            layer_filter=lambda other: other is layer or include(other),
            as_layer=True,
        )
    rgb = to_rgb(np.asarray(color, dtype=np.float32), color_mode)
    coverage = np.asarray(alpha, dtype=np.float32).reshape(rgb.shape[:2])
    rgba = np.empty((*rgb.shape[:2], 4), dtype=np.uint8)
    rgba[..., :3] = _to_byte(rgb)
    rgba[..., 3] = _to_byte(coverage)
    rgba = zero_transparent(rgba)
    return trim(rgba, viewport[0], viewport[1])


def _compositor() -> Callable[..., Any]:
    """psd-tools' ``composite``, imported on first use (only for a layer that needs it).

    On import, psd-tools checks that scipy is installed by importing ``scipy.interpolate``
    (about 0.3 s and 30 MiB: scipy.special, sparse, linalg), which only its gradient and
    curve adjustments use. That submodule is registered here with the standard library's
    :class:`importlib.util.LazyLoader` first, so the check finds it without running it; it
    is loaded, whole, the first time one of those adjustments touches it. Effects that
    need ``scipy.ndimage`` import it themselves as before."""
    import importlib.util
    import sys

    name = "scipy.interpolate"
    if name not in sys.modules and "psd_tools.composite" not in sys.modules:
        try:
            spec = importlib.util.find_spec(name)
        except ImportError:  # no scipy: psd-tools says which layers it cannot draw
            spec = None
        if spec is not None and spec.loader is not None:
            import scipy

            spec.loader = importlib.util.LazyLoader(spec.loader)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            # `from scipy import interpolate` finds the attribute and touches nothing else
            scipy.interpolate = module
    from psd_tools.composite import composite

    return composite


def _is_plain(layer: Any, include: Callable[[Any], bool]) -> bool:
    """A pixel layer whose stored raster IS its picture: no mask, vector mask, effects,
    fill opacity or clipped layers. Its pixels are decoded directly (psd-tools'
    ``numpy()``), which is several times faster than compositing it."""
    try:
        return bool(
            layer.kind == "pixel"
            and not layer.clipping
            and _simple_mask(layer)
            and not layer.has_vector_mask()
            and not layer.has_effects()
            and int(layer.fill_opacity) == 255
            and not any(include(other) for other in layer.clip_layers)
        )
    except Exception:  # an unusual record: let the compositor handle it
        return False


def _simple_mask(layer: Any) -> bool:
    """No layer mask, a disabled one, or a plain one (no feather or density): a mask
    the fast path applies itself by multiplying it into the alpha."""
    if not layer.has_mask():
        return True
    mask = layer.mask
    return bool(mask.disabled or not mask.parameters)


def _apply_mask(layer: Any, rgba: RgbaArray) -> RgbaArray:
    """Multiply an enabled layer mask (inside its box; its background colour outside)
    into the alpha of ``rgba``, the layer's stored pixels over the layer's box."""
    if not layer.has_mask() or layer.mask.disabled:
        return rgba
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
                return rgba  # a mask that reveals the whole layer changes no pixel
            box = (cx0, cy0, cx1, cy1)
    out = rgba.copy()
    alpha = _masked_alpha_8bit(out[..., 3], mask.background_color, box, inside)
    if alpha is None:  # not 8-bit mask levels: the float product, pixel by pixel
        full = np.full(rgba.shape[:2], mask.background_color / 255.0, dtype=np.float32)
        if box is not None and inside is not None:
            full[box[1] : box[3], box[0] : box[2]] = inside
        alpha = _to_byte(out[..., 3].astype(np.float32) / 255.0 * full)
    out[..., 3] = alpha
    return zero_transparent(out)


_LEVELS = np.arange(256, dtype=np.uint8).astype(np.float32) / 255.0
"""The float32 value psd-tools gives each 8-bit mask level (``level / 255.0`` in float32)."""
_PRODUCT = np.empty(0, dtype=np.uint8)
"""``_to_byte(alpha / 255 * level)`` for every (alpha, mask level) pair: 256 x 256."""


def _masked_alpha_8bit(
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
        _PRODUCT = _to_byte(_LEVELS[:, None] * _LEVELS[None, :]).ravel()
    # every alpha against the background level, as np.full(..., dtype=float32) stores it
    row = _to_byte(_LEVELS * np.float32(background / 255.0))
    result: RgbaArray = row[alpha]
    if box is None or inside is None:
        return result
    levels = np.rint(inside * 255.0).astype(np.uint8)
    if not np.array_equal(_LEVELS[levels], inside):
        return None
    x0, y0, x1, y1 = box
    index = alpha[y0:y1, x0:x1].astype(np.uint16) << 8 | levels
    result[y0:y1, x0:x1] = _PRODUCT[index]
    return result


def zero_transparent(rgba: RgbaArray) -> RgbaArray:
    """``rgba`` with every pixel of alpha 0 set to (0, 0, 0, 0): a new array, others kept
    as they are (OpenCV's masked AND: several times faster than boolean indexing)."""
    image = np.ascontiguousarray(rgba)
    seen = (image[..., 3] != 0).view(np.uint8)
    out: RgbaArray = np.asarray(cv2.bitwise_and(image, image, mask=seen), dtype=np.uint8)
    return out


def _crop(placed: tuple[RgbaArray, int, int], viewport: Box) -> tuple[RgbaArray, int, int] | None:
    """Cut a trimmed image at (left, top) to the viewport, trimmed again."""
    rgba, left, top = placed
    x0, y0 = max(left, viewport[0]), max(top, viewport[1])
    x1 = min(left + rgba.shape[1], viewport[2])
    y1 = min(top + rgba.shape[0], viewport[3])
    if x0 >= x1 or y0 >= y1:
        return None
    return trim(rgba[y0 - top : y1 - top, x0 - left : x1 - left], x0, y0)


def render_stored(
    layer: Any, color_mode: str, *, masked: bool = False
) -> tuple[RgbaArray, int, int] | None:
    """The layer's stored pixels alone (no effects, masks or clipped layers), trimmed.

    The fallback when psd-tools cannot draw a layer because an optional renderer
    (scipy, aggdraw) is missing: Photoshop saves a raster of every layer, and that
    raster is still the layer's art. Returns ``None`` when the layer stores none.
    """
    rgba = _stored_rgb8(layer, color_mode)
    if rgba is None:
        pixels = layer.numpy()
        if pixels is None or pixels.size == 0:
            return None
        planes = np.asarray(pixels, dtype=np.float32)
        colors = 4 if color_mode == "CMYK" else 3 if color_mode == "RGB" else 1
        rgb = to_rgb(planes[..., :colors], color_mode)
        coverage = planes[..., colors] if planes.shape[-1] > colors else np.ones(rgb.shape[:2])
        rgba = np.empty((*rgb.shape[:2], 4), dtype=np.uint8)
        rgba[..., :3] = _to_byte(rgb)
        rgba[..., 3] = _to_byte(np.asarray(coverage, dtype=np.float32))
    rgba = zero_transparent(rgba)
    if masked:
        rgba = _apply_mask(layer, rgba)
    return trim(rgba, int(layer._record.left), int(layer._record.top))


def _stored_rgb8(layer: Any, color_mode: str) -> RgbaArray | None:
    """An 8-bit RGB layer's stored pixels as bytes, straight from psd-tools (``topil``, no
    colour profile applied): the same values as the float path below (x / 255 * 255
    rounds back to x), several times cheaper. ``None`` for other documents, or no pixels."""
    if color_mode != "RGB" or getattr(getattr(layer, "_psd", None), "depth", None) != 8:
        return None
    image = layer.topil(apply_icc=False)
    if image is None or 0 in image.size:
        return None
    if image.mode == "RGBA":
        return np.array(image, dtype=np.uint8)
    if image.mode != "RGB":
        return None
    rgba = np.full((image.height, image.width, 4), 255, dtype=np.uint8)
    rgba[..., :3] = np.asarray(image, dtype=np.uint8)
    return rgba


def to_rgb(color: npt.NDArray[np.float32], color_mode: str) -> npt.NDArray[np.float32]:
    """psd-tools colour planes ``(h, w, c)`` in [0, 1] -> ``(h, w, 3)`` RGB.

    Grayscale, Duotone and Bitmap repeat their first plane (a duotone's ink
    colours are not applied). CMYK, which psd-tools keeps as stored (1 = no ink),
    uses the plain formula ``R = (1 - C)(1 - K)``, without an ICC profile.
    Raises ``ValueError`` for another mode (the reader refuses those before).
    """
    if color_mode == "RGB":
        return color[..., :3]
    if color_mode in ("Grayscale", "Duotone", "Bitmap"):
        return np.repeat(color[..., :1], 3, axis=-1)
    if color_mode == "CMYK":
        return color[..., :3] * color[..., 3:4]
    raise ValueError(f"no RGB conversion for colour mode {color_mode}")


def trim(rgba: RgbaArray, left: int, top: int) -> tuple[RgbaArray, int, int] | None:
    """Cut ``rgba`` (placed at left, top) to its pixels with alpha > 0; ``None`` if none."""
    rows = np.flatnonzero(rgba[..., 3].any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(rgba[..., 3].any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return np.ascontiguousarray(rgba[y0:y1, x0:x1]), left + x0, top + y0


def _to_byte(values: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    # NaN (a 32-bit file can hold one) becomes 0; values past 1 (HDR) are clipped
    clean = np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0)
    scaled: npt.NDArray[np.uint8] = np.rint(np.clip(clean, 0.0, 1.0) * 255.0).astype(np.uint8)
    return scaled


@contextmanager
def _full_opacity(layer: Any) -> Iterator[None]:
    # The public ``opacity`` setter marks the whole document as edited, which
    # makes psd-tools re-render (and drop) cached vector and text pixels; the
    # record is psd-tools' documented low-level view, and we restore it.
    record = layer._record
    saved = record.opacity
    record.opacity = 255
    try:
        yield
    finally:
        record.opacity = saved


def clip_overlay(
    base: tuple[RgbaArray, int, int],
    overlay: tuple[RgbaArray, int, int],
    opacity: float,
    mode: str = "normal",
) -> RgbaArray:
    """``base`` (rgba, left, top) with ``overlay`` drawn in as a clipping mask.

    The overlay's colour is blended (``mode``: normal, multiply, screen, additive) over the
    base where they overlap, weighted by the overlay's alpha times ``opacity``; the base's
    alpha is kept, so nothing is drawn outside the base's pixels (Photoshop's clipping
    mask, as PhotoshopToSpine applies ``[overlay]`` layers). Returns a new array.
    """
    rgba, left, top = base
    over, oleft, otop = overlay
    out = rgba.copy()
    x0, y0 = max(left, oleft), max(top, otop)
    x1 = min(left + rgba.shape[1], oleft + over.shape[1])
    y1 = min(top + rgba.shape[0], otop + over.shape[0])
    if x1 <= x0 or y1 <= y0:
        return out
    b = out[y0 - top : y1 - top, x0 - left : x1 - left]
    o = over[y0 - otop : y1 - otop, x0 - oleft : x1 - oleft].astype(np.float32) / 255.0
    colour = b[..., :3].astype(np.float32) / 255.0
    paint = o[..., :3]
    if mode == "multiply":
        paint = colour * paint
    elif mode == "screen":
        paint = 1.0 - (1.0 - colour) * (1.0 - paint)
    elif mode == "additive":
        paint = np.minimum(colour + paint, 1.0)
    weight = o[..., 3:4] * float(opacity)
    mixed = colour * (1.0 - weight) + paint * weight
    b[..., :3] = np.where(b[..., 3:4] > 0, _to_byte(mixed), b[..., :3])
    return out
