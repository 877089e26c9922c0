"""The layered document: what a PSD (or a folder of PNGs) becomes before meshing.

Pure values: the PSD reader fills them, the exporter consumes them. Canvas
coordinates are pixels, x right, y down, origin at the canvas's top-left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class LayerTags:
    """What the layer name's ``[tags]`` asked for (PhotoshopToSpine-compatible).

    ``None`` means "not given": the exporter then uses its defaults.
    """

    ignore: bool = False
    """``[ignore]``: leave the layer out entirely"""
    mesh: bool | None = None
    """``[mesh]`` asks for a mesh attachment (ours are meshes by default); ``False`` = region"""
    bone: str | None = None
    """``[bone]`` / ``[bone:name]`` on a group: the group's layers hang on this bone"""
    slot: str | None = None
    """``[slot]`` / ``[slot:name]``: slot name for the layer (or a group's layers)"""
    skin: str | None = None
    """``[skin]`` / ``[skin:name]``: the skin the attachment goes in"""
    folder: str | None = None
    """``[folder]`` / ``[folder:name]``: image path prefix for the attachments"""
    scale: float | None = None
    """``[scale:X]``: image scale for this layer"""
    pad: int | None = None
    """``[pad:N]``: padding in pixels around this layer's image"""
    merge: bool = False
    """``[merge]`` on a group: the group was flattened into one layer (the reader does it)"""
    linked_mesh: str | None = None
    """``[mesh:name]``: a linked mesh whose source is the attachment ``name`` in the same slot"""
    path: str | None = None
    """``[path:name]``: image name when it differs from the attachment name"""
    trim: str | None = None
    """``[trim]``/``[trim:true]``/``[trim:ws]`` = ``"ws"`` (trim whitespace),
    ``[trim:false]``/``[trim:canvas]`` = ``"canvas"`` (the full canvas), ``[trim:mask]`` =
    ``"mask"`` (the layer mask's bounds)"""
    overlay: bool = False
    """``[overlay]``: a clipping overlay for every layer below (the reader draws it in)"""
    name_pattern: str | None = None
    """``[name:pattern]`` on a group: ``*`` in the pattern is replaced by each child's name"""
    bones: bool = False
    """``[bones]`` on a group: each immediate child gets ``[bone]`` (the reader adds it)"""
    slots: bool = False
    """``[slots]`` on a group: each immediate child gets ``[slot]`` (the reader adds it)"""
    origin: bool = False
    """``[origin]``: the layer's centre is the skeleton's 0,0 (the reader takes it out)"""
    escapes: tuple[str, ...] = ()
    """``[!bones]`` ``[!slots]`` ``[!name]`` ``[!path]`` ``[!bone]`` ``[!slot]``: the parent
    tags (``bones``, ``slots``) or group patterns (``name``, ``path``, ``bone``, ``slot``)
    that do not apply to this layer or group and what it holds"""
    overrides: dict[str, str] = field(default_factory=dict)
    """any other ``[key:value]`` tags, kept for the exporter (e.g. mesh settings)"""


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer, flattened out of its groups, ready to mesh.

    ``rgba``: (h, w, 4) uint8, the layer's own pixels with its layer mask,
    vector mask, clipping and fill opacity applied, trimmed to its non-transparent
    bounds; layer opacity is NOT multiplied in (it becomes the slot's alpha).
    ``left``/``top``: canvas position of ``rgba``'s top-left pixel (may be negative
    when the layer reaches past the canvas).
    ``opacity``: 0..1, the layer's opacity times every enclosing group's.
    ``blend_mode``: Spine's name when Spine has one (normal, additive, multiply,
    screen); otherwise ``normal`` and ``psd_blend_mode`` tells what it was.
    ``group_path``: names (tags stripped) of the enclosing groups, outermost first.
    ``index``: draw order, 0 = bottom-most.
    """

    name: str
    raw_name: str
    rgba: npt.NDArray[np.uint8]
    left: int
    top: int
    opacity: float
    blend_mode: str
    psd_blend_mode: str
    visible: bool
    has_mask: bool
    kind: str
    """psd-tools layer kind: pixel, type, shape, smartobject, ..."""
    group_path: tuple[str, ...]
    group_tags: tuple[LayerTags, ...]
    """the tags of each enclosing group, same order as ``group_path``"""
    tags: LayerTags
    index: int
    mask_box: tuple[int, int, int, int] | None = None
    """canvas ``(left, top, right, bottom)`` of the layer mask, when it has one (``[trim:mask]``)"""

    @property
    def width(self) -> int:
        return int(self.rgba.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgba.shape[0])


@dataclass(frozen=True, eq=False)
class Document:
    """A layered image: canvas size, layers bottom to top, and what was left out and why."""

    width: int
    height: int
    layers: tuple[Layer, ...]
    source_name: str
    """file name the document came from (for messages and the skeleton's name)"""
    color_mode: str = "RGB"
    depth: int = 8
    skipped: tuple[tuple[str, str], ...] = ()
    """(layer name, reason) for layers left out: empty, adjustment layers, [ignore], ..."""
    origin: tuple[float | None, float | None] = (None, None)
    """canvas ``(x, y)`` of the skeleton's 0,0 the document asks for: an ``[origin]``
    layer's centre, else the first vertical / horizontal guide; ``None`` on an axis leaves
    it to :class:`~spinelift.io.rig.Origin` (the export's ``origin`` option)"""
