"""Placed layers -> the Spine skeleton: bones, slots, skins and attachments (pure).

:func:`assemble` takes the planned roles (:mod:`spinelift.io.rig`), each layer's export
image (:mod:`spinelift.io.export_image`) and mesh, and builds the
:class:`~spinelift.spine.Skeleton` the export writes, as Spine's Import PSD does:

* a ``[bone]`` is created at the centre of the first visible layer that hangs on it
  (the top-most in the PSD: the first in Photoshop's layer panel), else of its first
  layer, else of the box around its descendants' layers; bones are not rotated;
* slots in draw order (bottom first), the setup attachment the first visible layer's;
* in each skin, the entry is keyed by the placeholder, with ``"name"`` when the
  attachment's name differs (``skin/placeholder``) and ``"path"`` when the image's does;
* a linked mesh is ``{"type": "linkedmesh", "path"?, "skin", "parent", "width",
  "height"}`` (Spine 4.2 JSON) on its source's mesh; a region carries ``scaleX``/
  ``scaleY`` when its image was resampled (``[scale:X]``: 1/X).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spinelift.core import Mesh
from spinelift.io.export_image import ExportImage
from spinelift.io.rig import ROOT, LayerRole
from spinelift.spine import (
    BLEND_MODES,
    BlendMode,
    Bone,
    Skeleton,
    Skin,
    Slot,
    mesh_attachment_for_layer,
    region_attachment_for_layer,
    slot_color,
)


@dataclass(frozen=True)
class Placement:
    """Skeleton (0, 0) on the canvas (pixels) and skeleton units per canvas pixel."""

    origin_x: float
    origin_y: float
    scale: float

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A canvas point in skeleton space (y up)."""
        return (x - self.origin_x) * self.scale, (self.origin_y - y) * self.scale


def assemble(
    name: str,
    roles: list[LayerRole],
    images: list[ExportImage],
    meshes: list[Mesh | None],
    place: Placement,
) -> Skeleton:
    """The skeleton of the roles whose mesh is not ``None`` (see the module docstring)."""
    kept = [(r, i, m) for r, i, m in zip(roles, images, meshes, strict=True) if m is not None]
    bones = _bones([r for r, _, _ in kept], place)
    world: dict[str, tuple[float, float]] = {}
    for bone in bones:
        px, py = world[bone.parent] if bone.parent is not None else (0.0, 0.0)
        world[bone.name] = (px + bone.x, py + bone.y)
    slots: dict[str, Slot] = {}
    skins: dict[str, dict[str, dict[str, Any]]] = {}
    for role, image, mesh in kept:
        layer = role.layer
        attachment = _attachment(role, image, mesh, world[role.bone], place)
        skins.setdefault(role.skin, {}).setdefault(role.slot, {})[role.attachment] = attachment
        if role.slot not in slots:
            slots[role.slot] = Slot(
                name=role.slot,
                bone=role.bone,
                color=slot_color(max(0.0, min(1.0, layer.opacity))),
                attachment=role.attachment if layer.visible else None,
                blend=_blend(layer.blend_mode),
            )
        elif slots[role.slot].attachment is None and layer.visible:
            old = slots[role.slot]
            slots[role.slot] = Slot(old.name, old.bone, old.color, role.attachment, old.blend)
    used = {s.bone for s in slots.values()}
    kept_bones = [b for b in bones if b.name == ROOT or _has_user(b.name, bones, used)]
    skin_list = [Skin("default", skins.pop("default", {}))]
    skin_list += [Skin(n, skins[n]) for n in sorted(skins)]
    return Skeleton(
        name=name,
        bones=tuple(kept_bones),
        slots=tuple(slots.values()),
        skins=tuple(skin_list),
        images="./images/",
    )


def _attachment(
    role: LayerRole,
    image: ExportImage,
    mesh: Mesh,
    bone_world: tuple[float, float],
    place: Placement,
) -> dict[str, Any]:
    head: dict[str, Any] = {}
    if role.name != role.attachment:
        head["name"] = role.name
    if role.region != role.name:
        head["path"] = role.region
    ratio_x, ratio_y = place.scale / image.scale_x, place.scale / image.scale_y
    if role.linked is not None:
        source = role.linked
        return {
            "type": "linkedmesh",
            **head,
            "skin": source.skin,
            "parent": source.attachment,
            "width": _number(image.width * ratio_x),
            "height": _number(image.height * ratio_y),
        }
    common: dict[str, Any] = {
        "canvas_left": image.left,
        "canvas_top": image.top,
        "bone_world_x": bone_world[0],
        "bone_world_y": bone_world[1],
        "origin_x": place.origin_x,
        "origin_y": place.origin_y,
        "scale": place.scale,
        "path": None,
    }
    if role.as_mesh:
        body = mesh_attachment_for_layer(mesh, **common, pixel_scale=(image.scale_x, image.scale_y))
        return {"type": body.pop("type"), **head, **body}
    body = region_attachment_for_layer(
        image.width, image.height, **common, pixel_scale=(image.scale_x, image.scale_y)
    )
    return {**head, **body}


def _number(value: float) -> int | float:
    rounded = round(value, 3)
    return int(rounded) if rounded.is_integer() else rounded


def _blend(mode: str) -> BlendMode:
    """The layer's blend mode as Spine's (the PSD reader already maps what Spine has)."""
    for known in BLEND_MODES:
        if mode == known:
            return known  # type: ignore[return-value]  # BLEND_MODES holds BlendMode values
    return "normal"


def _bones(roles: list[LayerRole], place: Placement) -> list[Bone]:
    """The root, then each tagged bone (parents first) at the centre of its first visible
    layer, top-most first (see the module docstring)."""
    parents: dict[str, str] = {}
    own: dict[str, list[LayerRole]] = {}
    below: dict[str, list[float]] = {}
    for role in roles:
        layer = role.layer
        for depth, bone in enumerate(role.bones):
            parents.setdefault(bone, role.bones[depth - 1] if depth else ROOT)
            x0, y0 = float(layer.left), float(layer.top)
            box = below.setdefault(bone, [x0, y0, x0 + layer.width, y0 + layer.height])
            box[:] = [
                min(box[0], x0), min(box[1], y0),
                max(box[2], x0 + layer.width), max(box[3], y0 + layer.height),
            ]  # fmt: skip
        if role.bones:
            own.setdefault(role.bones[-1], []).append(role)
    world: dict[str, tuple[float, float]] = {ROOT: (0.0, 0.0)}
    out = [Bone(ROOT)]
    for bone in parents:  # insertion order: a parent is always met before its children
        layers = [r.layer for r in reversed(own.get(bone, []))]  # top-most first
        first = next((x for x in layers if x.visible), layers[0] if layers else None)
        if first is not None:
            cx, cy = first.left + first.width / 2, first.top + first.height / 2
        else:
            x0, y0, x1, y1 = below[bone]
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        wx, wy = place.point(cx, cy)
        world[bone] = (round(wx, 2), round(wy, 2))
        px, py = world[parents[bone]]
        out.append(
            Bone(bone, parents[bone], round(world[bone][0] - px, 2), round(world[bone][1] - py, 2))
        )
    return out


def _has_user(bone: str, bones: list[Bone], used: set[str]) -> bool:
    if bone in used:
        return True
    return any(b.parent == bone and _has_user(b.name, bones, used) for b in bones)
