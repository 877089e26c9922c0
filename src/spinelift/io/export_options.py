"""How a document is exported: :class:`ExportOptions` (one home for the export's knobs,
shared by :mod:`spinelift.io.export` and :mod:`spinelift.io.export_image`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from spinelift.core import MeshSettings
from spinelift.core.pipeline import DEFAULT_MAX_DIMENSION
from spinelift.io.atlas import DEFAULT_MAX_PAGE_SIZE
from spinelift.io.rig import Origin
from spinelift.spine import DEFAULT_SPINE_VERSION


@dataclass(frozen=True)
class ExportOptions:
    """How to export. ``image_padding``: transparent pixels added around each layer image
    (room for the mesh's own ``padding`` and for texture filtering); ``layer_settings``:
    per-layer mesh settings by layer name (tags ``[detail_factor:0.005]`` and the like in a
    layer's name override both)."""

    settings: MeshSettings = field(default_factory=MeshSettings)
    layer_settings: Mapping[str, MeshSettings] = field(default_factory=dict)
    spine_version: str = DEFAULT_SPINE_VERSION
    atlas: bool = True
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE
    atlas_padding: int = 2
    bleed: int = 2
    """transparent pixels within this many pixels of the art take its colour (alpha stays
    0), so linear texture filtering never darkens the edges"""
    image_padding: int = 2
    trim: bool = True
    """trim each image to its pixels (the editor's "Trim whitespace"); ``False``: every image
    is the canvas size; a layer's ``[trim:...]`` tag wins"""
    origin: Origin = Origin.BOTTOM_CENTER
    scale: float = 1.0
    """the editor's Scale: images are resampled by it (times a layer's ``[scale:X]``) and
    the skeleton is in scaled pixels"""
    include_hidden: bool = True
    preview: bool = True
    max_dimension: int = DEFAULT_MAX_DIMENSION
    workers: int | None = None
