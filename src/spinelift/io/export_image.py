"""The exact image the export writes (and meshes) for a layer, and where it lies.

A layer's exported image is, in order (the editor's Import PSD rules):

1. its **box** on the canvas: its pixels' bounds (``[trim]``, ``[trim:ws]``, the default),
   the whole canvas (``[trim:canvas]``/``[trim:false]``, or ``ExportOptions.trim=False``)
   or its layer mask's bounds (``[trim:mask]``);
2. **resampled** by ``[scale:X]`` times the global ``ExportOptions.scale``;
3. **padded** by ``[pad:N]`` (nearest layer or group) or else the global
   ``image_padding``, and never less than the mesh's own ``padding``.

The web app meshes THIS image once and stores the mesh;
:func:`spinelift.io.export.export_document` then takes the stored meshes (``meshes=``)
instead of meshing again. :func:`layer_export_image` and :func:`layer_mesh_settings` are
the one home of these rules: the export itself calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from spinelift.core import MeshSettings
from spinelift.errors import InvalidParametersError
from spinelift.io.document import Document, Layer
from spinelift.io.export_options import ExportOptions
from spinelift.io.image import zero_transparent
from spinelift.io.meshing import pad_image
from spinelift.io.psd.tags import effective_tags

Box = tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class ExportImage:
    """The image the export places for one layer.

    ``rgba``: (h, w, 4) uint8, padding included: mesh exactly this image.
    ``left``/``top``: canvas position (pixels, y down) of ``rgba``'s top-left corner.
    ``scale_x``/``scale_y``: image pixels per canvas pixel (1.0 unless resampled).
    ``pad``: transparent image pixels added on each side. ``box``: the canvas rectangle
    ``(left, top, right, bottom)`` the unpadded image covers.
    """

    rgba: npt.NDArray[np.uint8]
    left: float
    top: float
    scale_x: float
    scale_y: float
    pad: int
    box: Box

    @property
    def width(self) -> int:
        return int(self.rgba.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgba.shape[0])


def layer_mesh_settings(layer: Layer, options: ExportOptions) -> MeshSettings:
    """The mesh settings the export uses for ``layer``: ``options.layer_settings`` by
    layer name (else ``options.settings``), with the layer's and its groups' setting
    tags (``[detail_factor:0.005]``...) applied. Raises :class:`InvalidParametersError`
    naming the layer for a tag value the settings refuse."""
    tags = effective_tags(layer.group_tags, layer.tags)
    base = options.layer_settings.get(layer.name, options.settings)
    names = set(MeshSettings.__dataclass_fields__)
    changes = {k: v for k, v in tags.overrides.items() if k in names}
    if not changes:
        return base
    try:
        return base.with_text_values(changes)
    except InvalidParametersError as exc:
        raise InvalidParametersError(
            f"layer {layer.raw_name!r}: {exc.message}", details=exc.details
        ) from exc


def layer_export_image(
    layer: Layer,
    options: ExportOptions,
    settings: MeshSettings | None = None,
    *,
    canvas: tuple[int, int] | None = None,
) -> ExportImage:
    """The image the export writes for ``layer`` under ``options``, and its placement.

    ``settings``: the layer's mesh settings when already known (else
    :func:`layer_mesh_settings`). ``canvas``: the document's (width, height), needed when
    the image is the whole canvas (``[trim:canvas]`` or ``options.trim=False``; else
    :class:`InvalidParametersError`). Deterministic: same layer and options, same pixels,
    so a mesh made from it can be handed back to the export.
    """
    settings = settings if settings is not None else layer_mesh_settings(layer, options)
    tags = effective_tags(layer.group_tags, layer.tags)
    mode = tags.trim or ("ws" if options.trim else "canvas")
    box: Box = (layer.left, layer.top, layer.left + layer.width, layer.top + layer.height)
    if mode == "canvas":
        if canvas is None:
            raise InvalidParametersError(
                f"layer {layer.raw_name!r}: a full-canvas image needs the canvas size"
            )
        box = (0, 0, int(canvas[0]), int(canvas[1]))
    elif mode == "mask" and layer.mask_box is not None:
        box = layer.mask_box
    pad = tags.pad if tags.pad is not None else options.image_padding
    return image_in_box(
        layer, box, (tags.scale or 1.0) * options.scale, max(pad, settings.padding, 0)
    )


def document_export_image(
    document: Document, position: int, options: ExportOptions, settings: MeshSettings | None = None
) -> ExportImage:
    """:func:`layer_export_image` of ``document.layers[position]`` on its canvas."""
    return layer_export_image(
        document.layers[position], options, settings, canvas=(document.width, document.height)
    )


def image_in_box(layer: Layer, box: Box, scale: float, pad: int) -> ExportImage:
    """``layer``'s pixels over the canvas rectangle ``box``, resampled by ``scale`` and
    padded by ``pad`` (also the image of a linked mesh: its source's box, scale, pad)."""
    left, top, right, bottom = box
    width, height = max(1, right - left), max(1, bottom - top)
    pixels = np.zeros((height, width, 4), dtype=np.uint8)
    x0, y0 = max(left, layer.left), max(top, layer.top)
    x1, y1 = min(right, layer.left + layer.width), min(bottom, layer.top + layer.height)
    if x1 > x0 and y1 > y0:
        pixels[y0 - top : y1 - top, x0 - left : x1 - left] = layer.rgba[
            y0 - layer.top : y1 - layer.top, x0 - layer.left : x1 - layer.left
        ]
    scaled = pixels if scale == 1.0 else _resample(pixels, scale)
    sx, sy = scaled.shape[1] / width, scaled.shape[0] / height
    rgba = pad_image(scaled, pad)
    return ExportImage(
        rgba, left - pad / sx, top - pad / sy, sx, sy, pad, (left, top, right, bottom)
    )


def _resample(rgba: npt.NDArray[np.uint8], scale: float) -> npt.NDArray[np.uint8]:
    """``rgba`` resized by ``scale`` (at least 1 px), bicubic on premultiplied colour."""
    height, width = rgba.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA").convert("RGBa")
    out = np.array(image.resize(size, Image.Resampling.BICUBIC).convert("RGBA"), dtype=np.uint8)
    return zero_transparent(out)


def mesh_max_dimension(image: ExportImage, options: ExportOptions) -> int:
    """The ``max_dimension`` to mesh ``image`` with: the limit applies to the layer's image,
    never to its padding (a 4096 px layer with 2 px padding is a 4100 px image that must
    mesh), so it is raised to the padded size when the unpadded one is within
    ``options.max_dimension``; else the limit stands and meshing refuses the image."""
    inner = max(image.width, image.height) - 2 * image.pad
    if inner > options.max_dimension:
        return options.max_dimension
    return max(options.max_dimension, image.width, image.height)
