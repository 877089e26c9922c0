"""Layers -> the rig: which bone, slot, skin and attachment each layer becomes.

This is PhotoshopToSpine's mapping (see docs/psd.md for the tags): one slot per
layer in PSD draw order unless ``[slot]`` groups layers into one; bones from
``[bone]`` tags, nested as their groups nest; skins from ``[skin]``; attachment
names with their ``[folder]`` prefixes. Pure: values in, values out.

Coordinates: the skeleton's origin sits at a canvas point chosen by
:class:`Origin` (bottom centre by default: a character's feet), skeleton y up.
A bone sits at the centre of the bounding box of the layers that hang on it
(PhotoshopToSpine has an ``[origin]`` layer for this; not supported yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from spinelift.io.document import Document, Layer, LayerTags
from spinelift.io.psd.tags import attachment_name, effective_tags
from spinelift.spine.paths import safe_path, unique_paths

ROOT = "root"


class Origin(StrEnum):
    """Where skeleton (0, 0) lies on the canvas."""

    BOTTOM_CENTER = "bottom-center"
    BOTTOM_LEFT = "bottom-left"
    CENTER = "center"
    TOP_LEFT = "top-left"

    def point(self, width: int, height: int) -> tuple[float, float]:
        """The canvas point (pixels, y down) of the skeleton origin."""
        return {
            Origin.BOTTOM_CENTER: (width / 2.0, float(height)),
            Origin.BOTTOM_LEFT: (0.0, float(height)),
            Origin.CENTER: (width / 2.0, height / 2.0),
            Origin.TOP_LEFT: (0.0, 0.0),
        }[self]


@dataclass(frozen=True, eq=False)
class LayerRole:
    """What one layer becomes. ``bones``: the bone chain from the root's child down to the
    layer's own bone (empty = the root). ``region``: the image's safe path in the atlas."""

    layer: Layer
    tags: LayerTags
    attachment: str
    region: str
    slot: str
    skin: str
    bones: tuple[str, ...]
    as_mesh: bool

    @property
    def bone(self) -> str:
        return self.bones[-1] if self.bones else ROOT


def plan_roles(document: Document, *, include_hidden: bool = True) -> list[LayerRole]:
    """One role per layer kept, in draw order (bottom first)."""
    layers = [
        layer
        for layer in document.layers
        if not layer.tags.ignore and (include_hidden or layer.visible)
    ]
    regions = unique_paths([_attachment(layer) for layer in layers])
    slot_names = _slot_names(layers)
    roles = []
    for layer, region, slot in zip(layers, regions, slot_names, strict=True):
        tags = effective_tags(layer.group_tags, layer.tags)
        chain = [*layer.group_tags, layer.tags]
        bones = tuple(
            dict.fromkeys(
                safe_path(t.bone, fallback="bone").replace("/", "_") for t in chain if t.bone
            )
        )
        roles.append(
            LayerRole(
                layer=layer,
                tags=tags,
                attachment=_attachment(layer),
                region=region,
                slot=slot,
                skin=tags.skin or "default",
                bones=bones,
                as_mesh=tags.mesh is not False,
            )
        )
    return roles


def _attachment(layer: Layer) -> str:
    name = attachment_name(layer.name, layer.group_tags, layer.tags) or "unnamed"
    return name


def _slot_names(layers: list[Layer]) -> list[str]:
    """A slot per layer, named after it, unless a ``[slot]`` tag shares one; no ``/``
    (the runtimes read ``a/b`` as a folder), unique."""
    wanted = []
    for layer in layers:
        tags = effective_tags(layer.group_tags, layer.tags)
        wanted.append((tags.slot or layer.name or "slot").replace("/", "_").strip() or "slot")
    shared = {
        name
        for layer, name in zip(layers, wanted, strict=True)
        if effective_tags(layer.group_tags, layer.tags).slot
    }
    out: list[str] = []
    used: dict[str, int] = {}
    for name in wanted:
        if name in shared:
            out.append(name)
            continue
        count = used.get(name, 0)
        used[name] = count + 1
        out.append(name if count == 0 else f"{name} ({count + 1})")
    return out
