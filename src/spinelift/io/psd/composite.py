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

import numpy as np
import numpy.typing as npt

from spinelift.io.image import zero_transparent
from spinelift.io.psd.compositor import load_compositor
from spinelift.io.psd.layer_mask import apply_mask
from spinelift.io.psd.pixels import RgbaArray, to_byte, trim

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
    composite = load_compositor()
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
    rgba[..., :3] = to_byte(rgb)
    rgba[..., 3] = to_byte(coverage)
    rgba = zero_transparent(rgba)
    return trim(rgba, viewport[0], viewport[1])


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
        rgba[..., :3] = to_byte(rgb)
        rgba[..., 3] = to_byte(np.asarray(coverage, dtype=np.float32))
    rgba = apply_mask(layer, rgba) if masked else zero_transparent(rgba)
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
    b[..., :3] = np.where(b[..., 3:4] > 0, to_byte(mixed), b[..., :3])
    return out
