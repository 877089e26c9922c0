"""Re-import changed art into a rigged skeleton: ``spinelift convert ART --skeleton RIGGED``.

Each kept layer of the document is given its PhotoshopToSpine role
(:func:`~spinelift.io.rig.plan_roles`: skin, slot, attachment) and matched to the
skeleton's attachment with the same skin, slot and name (else the same slot and name in
any skin). A matched attachment gets the layer's pixels (written as its image, under its
own ``path``) placed where the layer sits on the canvas (the canvas point ``origin`` is
the skeleton's 0, 0, ``scale`` skeleton units per pixel, as ``convert`` does), and is
then meshed and bound to the bones as ``spinelift rig`` binds (:mod:`spinelift.io.bind`).
A layer with no match becomes a new slot on the root bone (listed); an attachment no
layer matched is kept as it was (listed). Bones, constraints and animations are kept.
Everything is computed before anything is written; the skeleton is written last.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from spinelift.io.bind import RigOptions, RigResult, rig_skeleton
from spinelift.io.document import Document
from spinelift.io.files import write_json
from spinelift.io.image import write_png
from spinelift.io.rig import LayerRole, Origin, origin_point, plan_roles
from spinelift.spine.bone_pose import world_transforms
from spinelift.spine.skeleton_data import AttachmentRef, read_skeleton


@dataclass(frozen=True, slots=True)
class ReimportResult:
    """``skeleton``: the file written; ``matched``: ``skin/slot/name`` rebound with new
    art; ``added``: new slots for unmatched layers; ``kept``: attachments no layer
    matched; ``rig``: the binding's own outcome."""

    skeleton: Path
    matched: list[str]
    added: list[str]
    kept: list[str]
    rig: RigResult
    warnings: list[str] = field(default_factory=list)


def reimport(
    document: Document,
    skeleton: Any,
    output: Path,
    *,
    name: str,
    origin: Origin = Origin.BOTTOM_CENTER,
    scale: float = 1.0,
    options: RigOptions | None = None,
) -> ReimportResult:
    """Re-import ``document``'s layers into the parsed ``skeleton``; write
    ``output/NAME.json`` and ``output/images/PATH.png`` (see the module docstring)."""
    data = read_skeleton(copy.deepcopy(skeleton))
    doc = data.document
    world = world_transforms(data.bones, data.constraints)
    ox, oy = origin_point(document, origin)
    refs = list(data.attachments())
    images: dict[str, np.ndarray] = {}
    matched: list[str] = []
    added: list[str] = []
    for role in plan_roles(document):
        ref = _match(role, refs)
        layer = role.layer
        centre = (
            (layer.left + layer.width / 2 - ox) * scale,
            (oy - layer.top - layer.height / 2) * scale,
        )
        if ref is None:
            slot = _new_slot(doc, role.slot, role.attachment)
            region = {"path": role.region} if role.region != role.attachment else {}
            region.update(_region_on(world[0], centre, layer.width * scale, layer.height * scale))
            _skin(doc, role.skin)["attachments"].setdefault(slot, {})[role.attachment] = region
            images[role.region] = layer.rgba
            added.append(f"{role.skin}/{slot}/{role.attachment}")
            continue
        bone = world[data.slots[ref.slot]]
        region = {k: ref.mapping[k] for k in ("name", "path", "color") if k in ref.mapping}
        region.update(_region_on(bone, centre, layer.width * scale, layer.height * scale))
        _replace(doc, ref, region)
        images[ref.path] = layer.rgba
        matched.append(ref.label)
    taken = set(matched)
    kept = [r.label for r in refs if r.label not in taken and r.kind in ("region", "mesh")]
    base = options or RigOptions()
    bind = RigOptions(
        settings=base.settings,
        max_influences=base.max_influences,
        bones=base.bones,
        reweight=True,
        method=base.method,
        rules=base.rules,
        only=frozenset(matched + added),
    )
    source = _MemoryImages(images)
    result = rig_skeleton(doc, source, bind)
    skeleton_map = result.document.setdefault("skeleton", {})
    skeleton_map["images"] = "./images/"
    output.mkdir(parents=True, exist_ok=True)
    for path, rgba in images.items():
        target = output / "images" / f"{path}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_png(target, rgba)
    written = write_json(output / f"{name}.json", result.document)
    return ReimportResult(written, matched, added, kept, result, list(result.warnings))


class _MemoryImages:
    """The layers' pixels by image path (nothing read from disk)."""

    def __init__(self, images: dict[str, np.ndarray]) -> None:
        self._images = images

    def has(self, path: str) -> bool:
        return path in self._images

    def describe(self, path: str) -> str:
        return f"a layer for image {path!r}"

    def image(self, path: str) -> np.ndarray:
        return self._images[path]


def _match(role: LayerRole, refs: list[AttachmentRef]) -> AttachmentRef | None:
    drawn = [r for r in refs if r.kind in ("region", "mesh") and "parent" not in r.mapping]
    for ref in drawn:
        if (ref.skin, ref.slot, ref.name) == (role.skin, role.slot, role.attachment):
            return ref
    for ref in drawn:
        if (ref.slot, ref.name) == (role.slot, role.attachment):
            return ref
    leaf = role.attachment.rsplit("/", 1)[-1]  # a [folder] or group prefix in the PSD
    for ref in drawn:
        if ref.slot == role.slot and ref.name.rsplit("/", 1)[-1] == leaf:
            return ref
    return None


def _region_on(
    bone: np.ndarray, centre: tuple[float, float], width: float, height: float
) -> dict[str, Any]:
    """A region whose image is centred on skeleton point ``centre``, upright and unscaled
    in skeleton space, on a bone with world matrix ``bone`` (2, 3)."""
    linear = bone[:, :2]
    local = np.linalg.solve(linear, np.asarray(centre) - bone[:, 2])
    rotation = math.degrees(math.atan2(linear[1, 0], linear[0, 0]))
    sx = math.hypot(linear[0, 0], linear[1, 0])
    sy = float(np.linalg.det(linear)) / sx
    return {
        "x": round(float(local[0]), 4),
        "y": round(float(local[1]), 4),
        "scaleX": round(1.0 / sx, 6),
        "scaleY": round(1.0 / sy, 6),
        "rotation": round(-rotation, 4),
        "width": width,
        "height": height,
    }


def _new_slot(document: dict[str, Any], wanted: str, attachment: str) -> str:
    names = {s.get("name") for s in document.get("slots") or []}
    slot, k = wanted, 2
    while slot in names:
        slot, k = f"{wanted}-{k}", k + 1
    root = document["bones"][0]["name"]
    document.setdefault("slots", []).append({"name": slot, "bone": root, "attachment": attachment})
    return slot


def _skin(document: dict[str, Any], name: str) -> dict[str, Any]:
    skins = document.setdefault("skins", [])
    for skin in skins:
        if skin.get("name") == name:
            skin.setdefault("attachments", {})
            return skin  # type: ignore[no-any-return]
    skin = {"name": name, "attachments": {}}
    skins.append(skin)
    return skin


def _replace(document: dict[str, Any], ref: AttachmentRef, mapping: dict[str, Any]) -> None:
    for skin in document.get("skins") or []:
        if skin.get("name") == ref.skin:
            skin["attachments"][ref.slot][ref.name] = mapping
