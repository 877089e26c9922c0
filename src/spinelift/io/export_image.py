"""The exact image the export writes (and meshes) for a layer, and where it lies.

A layer's exported image is its pixels with transparent padding around them (room
for the mesh's own ``padding`` and for texture filtering). The web app meshes THIS
image once and stores the mesh; :func:`spinelift.io.export.export_document` then takes
the stored meshes (``meshes=``) instead of meshing again, so what the user tuned is
what they download. :func:`layer_export_image` and :func:`layer_mesh_settings` are the
one home of these rules: the export itself calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinelift.core import MeshSettings
from spinelift.errors import InvalidParametersError
from spinelift.io.document import Layer
from spinelift.io.export_options import ExportOptions
from spinelift.io.meshing import pad_image
from spinelift.io.psd.tags import effective_tags


@dataclass(frozen=True, eq=False)
class ExportImage:
    """The image the export places for one layer.

    ``rgba``: (h, w, 4) uint8, padding included: mesh exactly this image.
    ``left``/``top``: canvas position (pixels, y down) of ``rgba``'s top-left corner.
    ``pixel_scale``: image pixels per canvas pixel (1.0 unless the image is resampled).
    ``pad``: transparent pixels added on each side (image pixels).
    """

    rgba: npt.NDArray[np.uint8]
    left: float
    top: float
    pixel_scale: float
    pad: int

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
    if tags.pad is not None:
        changes["padding"] = str(tags.pad)
    if not changes:
        return base
    try:
        return base.with_text_values(changes)
    except InvalidParametersError as exc:
        raise InvalidParametersError(
            f"layer {layer.raw_name!r}: {exc.message}", details=exc.details
        ) from exc


def layer_export_image(
    layer: Layer, options: ExportOptions, settings: MeshSettings | None = None
) -> ExportImage:
    """The image the export writes for ``layer`` under ``options``, and its placement.

    ``settings``: the layer's mesh settings when already known (else
    :func:`layer_mesh_settings`); the padding is the larger of the export's image
    padding and the mesh's own padding. Deterministic: same layer and options, same
    pixels, so a mesh made from it can be handed back to the export.
    """
    settings = settings if settings is not None else layer_mesh_settings(layer, options)
    pad = max(options.image_padding, settings.padding, 0)
    rgba = pad_image(layer.rgba, pad)
    return ExportImage(rgba, float(layer.left - pad), float(layer.top - pad), 1.0, pad)
