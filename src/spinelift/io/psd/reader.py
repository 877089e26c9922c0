"""Read a PSD/PSB into a :class:`~spinelift.io.document.Document` (psd-tools).

Contract of :func:`read_psd`:

- **Limits first.** The 26-byte header is read and checked before psd-tools
  parses anything: a canvas wider or taller than ``max_canvas`` or larger than
  ``max_pixels`` raises :class:`ImageTooLargeError`; psd-tools then decodes
  under ``max_alloc_bytes`` per allocation.
- **Layers.** Every pixel, type, shape and smart-object layer becomes one
  :class:`Layer`, bottom-most first, flattened out of its groups
  (``group_path``/``group_tags``). Pixels come from psd-tools' compositor (see
  :mod:`.composite`): layer mask, vector mask, fill opacity, layer effects and
  the layers clipped onto it are drawn in; the layer's opacity is not (it is
  ``Layer.opacity``, times every enclosing group's opacity).
- **Clipping masks** are merged into their base layer, as PhotoshopToSpine does;
  each clipped layer is listed in ``Document.skipped``.
- **Left out, with a reason in** ``Document.skipped``: adjustment and fill
  layers, empty layers, ``[ignore]`` layers and groups (once, for the group),
  ``[overlay]`` layers, layers whose name is only tags, and a layer psd-tools
  cannot draw.
- ``[overlay]`` **layers** (a group is merged first) are drawn into every layer below
  them as a clipping mask, and listed in ``skipped``; ``[origin]`` **layers** give
  ``Document.origin`` (their centre) and are listed in ``skipped``; without one, the
  first vertical and horizontal **guides** do. ``[bones]`` / ``[slots]`` groups give
  each immediate child a ``[bone]`` / ``[slot]`` tag (unless ``[!bones]`` / ``[!slots]``).
- **Hidden** layers are kept with ``visible=False`` (so are the layers of a
  hidden group); the exporter decides.
- ``[merge]`` **groups** become one layer of kind ``group``: the group drawn as
  Photoshop shows it (visible, not ``[ignore]`` children), its tags as the
  layer's tags.
- **Colour**: 8-, 16- and 32-bit RGB, Grayscale, Duotone (as grey), Bitmap and
  CMYK (plain conversion, no ICC) become 8-bit RGBA. Lab, Multichannel and
  Indexed documents with layers raise :class:`UnsupportedDocumentError`.
- **No layers** (a flattened file): the merged image becomes one layer named
  ``Background`` (kind ``composite``) and ``skipped`` says so. When the file has
  layers but none can be drawn and a merged image exists, the same fallback
  applies.
- **Tags** with invalid values (``[scale:abc]``) raise :class:`DocumentError`
  listing every one, as PhotoshopToSpine refuses to export them.
- Every failure is a :class:`SpineLiftError`; psd-tools' warnings are captured.
  Same bytes in, same Document out.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
from psd_tools import ParseLimitError, PSDImage
from psd_tools.constants import Resource

from spinelift.errors import DocumentError, SpineLiftError, UnsupportedDocumentError
from spinelift.io.document import Document, Layer, LayerTags
from spinelift.io.files import open_path
from spinelift.io.psd.layers import LayerWalker
from spinelift.io.psd.limits import (
    DEFAULT_MAX_ALLOC_BYTES,
    DEFAULT_MAX_CANVAS,
    DEFAULT_MAX_PIXELS,
    DocumentBudget,
    PsdHeader,
    check_budget,
    check_header,
    read_header,
)
from spinelift.io.psd.pixels import trim
from spinelift.io.psd.sections import check_complete

PsdSource = str | os.PathLike[str] | bytes | IO[bytes]
_LAYERED_MODES = frozenset({"RGB", "Grayscale", "Duotone", "Bitmap", "CMYK"})


def read_psd(
    source: PsdSource,
    *,
    max_canvas: int = DEFAULT_MAX_CANVAS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_alloc_bytes: int = DEFAULT_MAX_ALLOC_BYTES,
    name: str | None = None,
    budget: DocumentBudget | None = None,
) -> Document:
    """Read a PSD or PSB (a path, its bytes or a binary stream) into a Document.

    ``name``: the file name to report (default: the path's name, the stream's
    ``name`` or ``document.psd``). ``budget``: checked on the parsed layer records
    before any layer is drawn (:func:`~spinelift.io.psd.limits.check_budget`,
    :class:`DocumentTooLargeError`). See the module docstring for the contract.
    Raises :class:`ImageTooLargeError` (canvas over the limits),
    :class:`UnsupportedDocumentError` (colour mode) or :class:`DocumentError`
    (not a PSD, damaged, truncated, invalid tags); never anything else.
    """
    label = name or _label(source)
    with _open(source, label) as stream, warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        header = read_header(stream, label)
        check_header(header, label, max_canvas, max_pixels)
        merged_problem = check_complete(stream, header, label)
        psd = _parse(stream, label, max_alloc_bytes)
        try:
            if budget is not None:
                check_budget(psd, label, header.width, header.height, budget)
            return _document(psd, header, label, max_pixels, merged_problem)
        except SpineLiftError:
            raise
        except Exception as exc:  # psd-tools raises many types on damaged records
            raise _damaged(label, exc) from exc


def _document(
    psd: Any, header: PsdHeader, label: str, max_pixels: int, merged_problem: DocumentError | None
) -> Document:
    """``merged_problem``: raised if the merged image, cut short, would be used."""
    has_layers = any(True for _ in psd.descendants())
    if has_layers and header.mode not in _LAYERED_MODES:
        raise UnsupportedDocumentError(
            f"{label} is a layered {header.mode} document, which SpineLift does not read; "
            "convert it in Photoshop (Image > Mode > RGB Color) and save again",
            details={"source": label, "color_mode": header.mode},
        )
    walker = LayerWalker(psd, header.mode, (header.width, header.height), max_pixels)
    layers, skipped, problems, failed = walker.walk() if has_layers else ((), (), (), 0)
    if problems:
        raise DocumentError(
            f"{label} has invalid layer name tags: " + "; ".join(problems),
            details={"source": label, "problems": list(problems)},
        )
    if not has_layers or (not layers and failed):
        reason = (
            "the file has no layers: its merged image is used as one layer"
            if not has_layers
            else "no layer could be drawn: the merged image is used as one layer"
        )
        if merged_problem is not None:
            raise merged_problem
        background = _merged_layer(psd, label)
        if background is not None:
            layers, skipped = (background,), (*skipped, ("(document)", reason))
    guide_x, guide_y = first_guides(psd)
    tagged = walker.origin if has_layers else None
    origin = tagged if tagged is not None else (guide_x, guide_y)
    return Document(
        width=header.width,
        height=header.height,
        layers=tuple(layers),
        source_name=label,
        color_mode=header.mode,
        depth=header.depth,
        skipped=tuple(skipped),
        origin=origin,
    )


def first_guides(psd: Any) -> tuple[float | None, float | None]:
    """Canvas x of the first vertical guide and y of the first horizontal guide (pixels),
    from the Grid and Guides image resource (1032); ``None`` for an axis without one.
    Locations are stored in 1/32 pixel, as signed 32-bit values."""
    x: float | None = None
    y: float | None = None
    try:
        info = psd.image_resources.get_data(Resource.GRID_AND_GUIDES_INFO)
        items = list(info.data) if info is not None else []
    except Exception:  # a damaged resource is ignored, as Photoshop does
        return None, None
    for location, direction in items:
        value = (location - (1 << 32) if location >= 1 << 31 else location) / 32.0
        if direction == 0 and x is None:
            x = value
        elif direction == 1 and y is None:
            y = value
    return x, y


def _merged_layer(psd: Any, label: str) -> Layer | None:
    image = psd.topil() if psd.has_preview() else None
    if image is None:
        return None
    try:
        rgba = np.array(image.convert("RGBA"), dtype=np.uint8)
    except (ValueError, OSError) as exc:
        raise UnsupportedDocumentError(
            f"{label} is a {image.mode} image SpineLift cannot convert to RGB; "
            "convert it in Photoshop (Image > Mode > RGB Color) and save again",
            details={"source": label, "mode": image.mode},
        ) from exc
    trimmed = trim(rgba, 0, 0)
    if trimmed is None:
        return None
    pixels, left, top = trimmed
    return Layer(
        name="Background",
        raw_name="Background",
        rgba=pixels,
        left=left,
        top=top,
        opacity=1.0,
        blend_mode="normal",
        psd_blend_mode="normal",
        visible=True,
        has_mask=False,
        kind="composite",
        group_path=(),
        group_tags=(),
        tags=LayerTags(),
        index=0,
    )


def _parse(stream: IO[bytes], label: str, max_alloc_bytes: int) -> Any:
    try:
        return PSDImage.open(stream, max_alloc_bytes=max_alloc_bytes)
    except ParseLimitError as exc:
        raise DocumentError(
            f"{label} is too complex to read safely ({exc}); flatten or simplify it",
            details={"source": label, "reason": str(exc)},
        ) from exc
    except MemoryError as exc:
        raise DocumentError(
            f"{label} needs more memory than is available to read",
            details={"source": label},
        ) from exc
    except Exception as exc:  # psd-tools raises many types on damaged files
        raise _damaged(label, exc) from exc


def _damaged(label: str, exc: BaseException) -> DocumentError:
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return DocumentError(
        f"{label} could not be read ({reason}); the file is damaged or truncated: "
        "open it in Photoshop and save it again",
        details={"source": label, "reason": reason},
    )


def _label(source: PsdSource) -> str:
    if isinstance(source, bytes):
        return "document.psd"
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return Path(str(getattr(source, "name", "document.psd"))).name


@contextmanager
def _open(source: PsdSource, label: str) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
        return
    if not isinstance(source, (str, os.PathLike)):
        yield source if source.seekable() else io.BytesIO(source.read())
        return
    with open_path(source, DocumentError, "a PSD") as handle:
        yield handle


__all__ = ["PsdSource", "read_psd"]
