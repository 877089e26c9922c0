"""Reading a Spine 4.x skeleton JSON: bones in the setup pose, slots, skins' attachments.

The document stays a plain mapping (every key SpineLift does not understand is kept as
is, so a rewritten skeleton round-trips); :func:`read_skeleton` checks it and extracts
what binding needs:

* bones with their full setup-pose local transform (``x``, ``y``, ``rotation``,
  ``scaleX``, ``scaleY``, ``shearX``, ``shearY``, ``length``, ``inherit``), with the
  defaults of spine-ts ``SkeletonJson.readSkeletonData``;
* their setup-pose world matrices: :mod:`spinelift.spine.bone_pose`;
* slots (name, bone) and every attachment of every skin (array form, Spine 3.8+);
* the constraints (:func:`~spinelift.spine.constraints.read_constraints`): the setup pose
  weighted vertices are bound in has IK, transform and path constraints applied.

Refused with a :class:`~spinelift.errors.SkeletonError` subclass: a document that is
not a skeleton, a version other than 4.0-4.2 (:class:`UnsupportedSkeletonError`), and
bones that do not form the tree the runtimes accept (:class:`BoneHierarchyError`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from spinelift.errors import BoneHierarchyError, SkeletonError, UnsupportedSkeletonError
from spinelift.spine.constraints import Constraints, read_constraints

READ_VERSIONS = ("4.0", "4.1", "4.2")
"""``major.minor`` versions whose skeleton JSON is read (same bone, skin and mesh keys)."""

INHERIT_MODES = (
    "normal",
    "onlyTranslation",
    "noRotationOrReflection",
    "noScale",
    "noScaleOrReflection",
)


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
    (parents first); ``slots`` maps slot name -> bone index, in draw order;
    ``constraints`` are the document's IK, transform, path and physics constraints.
    """

    document: dict[str, Any]
    version: str
    bones: tuple[BoneSetup, ...]
    slots: dict[str, int]
    constraints: Constraints = field(default_factory=Constraints)

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
    :data:`READ_VERSIONS`, :class:`BoneHierarchyError` for a bad bone tree; a constraint
    on a bone or slot that does not exist is a :class:`SkeletonError`.
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
    constraints = read_constraints(document, index, slots)
    return SkeletonData(
        document=document,
        version=version,
        bones=tuple(bones),
        slots=slots,
        constraints=constraints,
    )


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
