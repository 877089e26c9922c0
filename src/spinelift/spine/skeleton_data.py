"""Reading a Spine 4.x skeleton JSON: bones in the setup pose, slots, skins' attachments.

The document stays a plain mapping (every key SpineLift does not understand is kept as
is, so a rewritten skeleton round-trips); :func:`read_skeleton` checks it and extracts
what binding needs:

* bones with their full setup-pose local transform (``x``, ``y``, ``rotation``,
  ``scaleX``, ``scaleY``, ``shearX``, ``shearY``, ``length``, ``inherit``), with the
  defaults of spine-ts ``SkeletonJson.readSkeletonData``;
* :func:`world_transforms`: each bone's world matrix as spine-core's
  ``Bone.updateWorldTransform`` computes it for the setup pose (skeleton at 0, 0, scale
  1; constraints are not applied: this is the pose the bones are bound in);
* slots (name, bone) and every attachment of every skin (array form, Spine 3.8+).

Refused with a :class:`~spinelift.errors.SkeletonError` subclass: a document that is
not a skeleton, a version other than 4.0-4.2 (:class:`UnsupportedSkeletonError`), and
bones that do not form the tree the runtimes accept (:class:`BoneHierarchyError`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spinelift.errors import BoneHierarchyError, SkeletonError, UnsupportedSkeletonError

READ_VERSIONS = ("4.0", "4.1", "4.2")
"""``major.minor`` versions whose skeleton JSON is read (same bone, skin and mesh keys)."""

INHERIT_MODES = (
    "normal",
    "onlyTranslation",
    "noRotationOrReflection",
    "noScale",
    "noScaleOrReflection",
)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BoneSetup:
    """One bone's setup pose in its parent's space (degrees, skeleton units)."""

    name: str
    parent: int
    """index of the parent bone, -1 for the root"""
    x: float = 0.0
    y: float = 0.0
    rotation: float = 0.0
    scale_x: float = 1.0
    scale_y: float = 1.0
    shear_x: float = 0.0
    shear_y: float = 0.0
    length: float = 0.0
    inherit: str = "normal"


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """Where an attachment lives: ``skin`` name, ``slot`` name, ``name`` (its key in the
    skin), and its JSON ``mapping`` (the document's own object, not a copy)."""

    skin: str
    slot: str
    name: str
    mapping: dict[str, Any]

    @property
    def kind(self) -> str:
        """``region``, ``mesh``, ``linkedmesh``, ``boundingbox``, ``path``, ``point``,
        ``clipping`` (``type`` key, ``region`` when absent)."""
        return str(self.mapping.get("type", "region"))

    @property
    def path(self) -> str:
        """The image path the runtimes look up: ``path``, else ``name``, else the key."""
        return str(self.mapping.get("path") or self.mapping.get("name") or self.name)

    @property
    def label(self) -> str:
        """``skin/slot/name``: how reports name this attachment."""
        return f"{self.skin}/{self.slot}/{self.name}"


@dataclass(frozen=True, slots=True)
class SkeletonData:
    """A checked skeleton document and what was read from it.

    ``document`` is the parsed JSON itself; ``bones`` are in the document's order
    (parents first); ``slots`` maps slot name -> bone index, in draw order.
    """

    document: dict[str, Any]
    version: str
    bones: tuple[BoneSetup, ...]
    slots: dict[str, int]

    def bone_index(self, name: str) -> int:
        """Index of the bone called ``name``; ``KeyError`` when there is none."""
        for i, bone in enumerate(self.bones):
            if bone.name == name:
                return i
        raise KeyError(name)

    def attachments(self) -> Iterator[AttachmentRef]:
        """Every attachment of every skin, skins in order, then slots, then names."""
        for skin in self.document.get("skins") or []:
            for slot, entries in (skin.get("attachments") or {}).items():
                for name, mapping in entries.items():
                    yield AttachmentRef(str(skin.get("name", "")), slot, name, mapping)


def read_skeleton(document: Any) -> SkeletonData:
    """Check a parsed skeleton JSON document and read its bones and slots.

    Raises :class:`SkeletonError` when it is not a Spine skeleton (no ``bones`` list,
    skins not in the 3.8+ array form, a slot on an unknown bone, malformed numbers),
    :class:`UnsupportedSkeletonError` for a ``skeleton.spine`` version not in
    :data:`READ_VERSIONS`, :class:`BoneHierarchyError` for a bad bone tree.
    """
    if not isinstance(document, dict) or not isinstance(document.get("bones"), list):
        raise SkeletonError("not a Spine skeleton JSON: it has no 'bones' list")
    version = str((document.get("skeleton") or {}).get("spine", ""))
    if version[:3] not in READ_VERSIONS or (len(version) > 3 and version[3] != "."):
        raise UnsupportedSkeletonError(
            f"skeleton written by Spine {version or '(no version)'}; SpineLift reads "
            f"{', '.join(READ_VERSIONS)} (re-export it from Spine as 4.2 JSON)",
            details={"version": version},
        )
    bones = _read_bones(document["bones"])
    index = {bone.name: i for i, bone in enumerate(bones)}
    slots: dict[str, int] = {}
    for slot in document.get("slots") or []:
        if not isinstance(slot, dict) or slot.get("bone") not in index:
            name = slot.get("name") if isinstance(slot, dict) else slot
            raise SkeletonError(
                f"slot {name!r} is on a bone that does not exist",
                details={"problems": [f"slot {name!r}"]},
            )
        slots[str(slot.get("name"))] = index[slot["bone"]]
    skins = document.get("skins", [])
    if not isinstance(skins, list) or not all(isinstance(s, dict) for s in skins):
        raise UnsupportedSkeletonError(
            "skins are not the array of {name, attachments} Spine 3.8+ writes",
            details={"version": version},
        )
    for skin in skins:
        for slot_name, entries in (skin.get("attachments") or {}).items():
            if slot_name not in slots or not isinstance(entries, dict):
                raise SkeletonError(
                    f"skin {skin.get('name')!r} names slot {slot_name!r}, which does not exist",
                    details={"problems": [f"skin {skin.get('name')!r} slot {slot_name!r}"]},
                )
    return SkeletonData(document=document, version=version, bones=tuple(bones), slots=slots)


def _read_bones(entries: list[Any]) -> list[BoneSetup]:
    bones: list[BoneSetup] = []
    index: dict[str, int] = {}
    later = {str(e.get("name")) for e in entries if isinstance(e, dict)}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SkeletonError(f"bone #{position} has no name", details={"problems": []})
        name = entry["name"]
        if name in index:
            raise BoneHierarchyError(f"two bones are named {name!r}", details={"bone": name})
        parent_name = entry.get("parent")
        if parent_name is None:
            if position != 0:
                raise BoneHierarchyError(
                    f"bone {name!r} has no parent; only the first bone may be the root",
                    details={"bone": name},
                )
            parent = -1
        elif parent_name in index:
            parent = index[parent_name]
        else:
            where = "is listed after it" if parent_name in later else "does not exist"
            if parent_name in later and _reaches(entries, parent_name, name):
                where = "is its own ancestor (a cycle)"
            raise BoneHierarchyError(
                f"bone {name!r}: parent {parent_name!r} {where}",
                details={"bone": name, "parent": parent_name},
            )
        if position == 0 and parent != -1:
            raise BoneHierarchyError("the first bone must be the root", details={"bone": name})
        inherit = str(entry.get("inherit", entry.get("transform", "normal")))
        if inherit not in INHERIT_MODES:
            raise SkeletonError(
                f"bone {name!r}: unknown inherit mode {inherit!r}",
                details={"problems": [f"bone {name!r} inherit {inherit!r}"]},
            )
        try:
            values = {
                key: float(entry.get(key, default))
                for key, default in (
                    ("x", 0.0),
                    ("y", 0.0),
                    ("rotation", 0.0),
                    ("scaleX", 1.0),
                    ("scaleY", 1.0),
                    ("shearX", 0.0),
                    ("shearY", 0.0),
                    ("length", 0.0),
                )
            }
        except (TypeError, ValueError) as exc:
            raise SkeletonError(
                f"bone {name!r} has a value that is not a number",
                details={"problems": [f"bone {name!r}"]},
            ) from exc
        if not all(math.isfinite(v) for v in values.values()):
            raise SkeletonError(
                f"bone {name!r} has a value that is not finite",
                details={"problems": [f"bone {name!r}"]},
            )
        index[name] = position
        bones.append(
            BoneSetup(
                name=name,
                parent=parent,
                x=values["x"],
                y=values["y"],
                rotation=values["rotation"],
                scale_x=values["scaleX"],
                scale_y=values["scaleY"],
                shear_x=values["shearX"],
                shear_y=values["shearY"],
                length=values["length"],
                inherit=inherit,
            )
        )
    if not bones:
        raise BoneHierarchyError("a skeleton needs at least one bone", details={"bone": None})
    return bones


def _reaches(entries: list[Any], start: str, target: str) -> bool:
    """Whether following parents from ``start`` comes back to ``target``."""
    parents = {e.get("name"): e.get("parent") for e in entries if isinstance(e, dict)}
    seen: set[str] = set()
    current: Any = start
    while current is not None and current not in seen:
        if current == target:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def world_transforms(bones: tuple[BoneSetup, ...] | list[BoneSetup]) -> FloatArray:
    """(n, 2, 3) float64: each bone's setup-pose world matrix ``[[a, b, x], [c, d, y]]``.

    A point ``(lx, ly)`` in bone ``i``'s space is at ``M[i, :, :2] @ (lx, ly) + M[i, :, 2]``
    in skeleton space. Follows spine-core 4.2 ``Bone.updateWorldTransformWith`` for every
    inherit mode, with the skeleton at (0, 0) and scale (1, 1).
    """
    out = np.zeros((len(bones), 2, 3), dtype=np.float64)
    deg = math.pi / 180.0
    for i, bone in enumerate(bones):
        rx = (bone.rotation + bone.shear_x) * deg
        ry = (bone.rotation + 90.0 + bone.shear_y) * deg
        la, lb = math.cos(rx) * bone.scale_x, math.cos(ry) * bone.scale_y
        lc, ld = math.sin(rx) * bone.scale_x, math.sin(ry) * bone.scale_y
        if bone.parent < 0:
            out[i] = [[la, lb, bone.x], [lc, ld, bone.y]]
            continue
        pa, pb, px = out[bone.parent, 0]
        pc, pd, py = out[bone.parent, 1]
        wx = pa * bone.x + pb * bone.y + px
        wy = pc * bone.x + pd * bone.y + py
        if bone.inherit == "normal":
            a, b = pa * la + pb * lc, pa * lb + pb * ld
            c, d = pc * la + pd * lc, pc * lb + pd * ld
        elif bone.inherit == "onlyTranslation":
            a, b, c, d = la, lb, lc, ld
        elif bone.inherit == "noRotationOrReflection":
            a, b, c, d = _no_rotation(bone, pa, pb, pc, pd)
        else:
            a, b, c, d = _no_scale(bone, pa, pb, pc, pd)
        out[i] = [[a, b, wx], [c, d, wy]]
    return out


def _no_rotation(
    bone: BoneSetup, pa: float, pb: float, pc: float, pd: float
) -> tuple[float, float, float, float]:
    s = pa * pa + pc * pc
    if s > 0.0001:
        s = abs(pa * pd - pb * pc) / s
        pb, pd = pc * s, pa * s
        prx = math.degrees(math.atan2(pc, pa))
    else:
        pa = pc = 0.0
        prx = 90.0 - math.degrees(math.atan2(pd, pb))
    rx = math.radians(bone.rotation + bone.shear_x - prx)
    ry = math.radians(bone.rotation + bone.shear_y - prx + 90.0)
    la, lb = math.cos(rx) * bone.scale_x, math.cos(ry) * bone.scale_y
    lc, ld = math.sin(rx) * bone.scale_x, math.sin(ry) * bone.scale_y
    return pa * la - pb * lc, pa * lb - pb * ld, pc * la + pd * lc, pc * lb + pd * ld


def _no_scale(
    bone: BoneSetup, pa: float, pb: float, pc: float, pd: float
) -> tuple[float, float, float, float]:
    rotation = math.radians(bone.rotation)
    cos, sin = math.cos(rotation), math.sin(rotation)
    za, zc = pa * cos + pb * sin, pc * cos + pd * sin
    s = math.sqrt(za * za + zc * zc)
    if s > 0.00001:
        s = 1.0 / s
    za, zc = za * s, zc * s
    s = math.sqrt(za * za + zc * zc)
    if bone.inherit == "noScale" and (pa * pd - pb * pc < 0):
        s = -s
    rotation = math.pi / 2.0 + math.atan2(zc, za)
    zb, zd = math.cos(rotation) * s, math.sin(rotation) * s
    shear_x = math.radians(bone.shear_x)
    shear_y = math.radians(90.0 + bone.shear_y)
    la, lb = math.cos(shear_x) * bone.scale_x, math.cos(shear_y) * bone.scale_y
    lc, ld = math.sin(shear_x) * bone.scale_x, math.sin(shear_y) * bone.scale_y
    return za * la + zb * lc, za * lb + zb * ld, zc * la + zd * lc, zc * lb + zd * ld


def bone_segments(bones: tuple[BoneSetup, ...] | list[BoneSetup], world: FloatArray) -> FloatArray:
    """(n, 2, 2) float64: each bone's segment in skeleton space, ``[start, end]`` (the end is
    ``length`` along the bone's local x axis; a zero-length bone is a point)."""
    starts = world[:, :, 2]
    lengths = np.array([b.length for b in bones], dtype=np.float64)
    ends = starts + world[:, :, 0] * lengths[:, None]
    return np.stack([starts, ends], axis=1)


def bone_parents(bones: tuple[BoneSetup, ...] | list[BoneSetup]) -> npt.NDArray[np.int64]:
    """(n,) int64: each bone's parent index, -1 for the root."""
    return np.array([b.parent for b in bones], dtype=np.int64)


def as_mapping(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` when it is a JSON object; else :class:`SkeletonError` naming ``what``."""
    if not isinstance(value, Mapping):
        raise SkeletonError(f"{what} is not a JSON object", details={"problems": [what]})
    return value
