"""A skeleton's constraints as spine-core 4.2 reads them (PURE).

:func:`read_constraints` reads the ``ik``, ``transform``, ``path`` and ``physics`` lists of
a skeleton JSON with the keys and defaults of spine-ts ``SkeletonJson.readSkeletonData``
(bones by index; a path constraint with the path attachment its slot shows in the setup
pose: :mod:`spinelift.spine.path_data`). IK, transform and path constraints are applied
to the setup pose (:mod:`spinelift.spine.ik_solver`, :mod:`spinelift.spine.transform_solver`,
:mod:`spinelift.spine.path_solver`); physics constraints are read only for the update
order they impose (:func:`spinelift.spine.bone_pose.update_order`): they do nothing in
the setup pose (``Physics.none``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spinelift.errors import SkeletonError
from spinelift.spine.path_data import PathShape, path_sort_bones, setup_path


@dataclass(frozen=True, slots=True)
class IkConstraint:
    """An IK constraint: 1 or 2 ``bones`` (parent, child) reach for ``target``'s origin."""

    name: str
    order: float
    bones: tuple[int, ...]
    target: int
    mix: float = 1.0
    softness: float = 0.0
    bend_direction: int = 1
    compress: bool = False
    stretch: bool = False
    uniform: bool = False


@dataclass(frozen=True, slots=True)
class TransformConstraint:
    """A transform constraint: ``bones`` take (a mix of) ``target``'s transform, plus the
    offsets; ``local``/``relative`` choose among spine-core's four ways."""

    name: str
    order: float
    bones: tuple[int, ...]
    target: int
    local: bool = False
    relative: bool = False
    offset_rotation: float = 0.0
    offset_x: float = 0.0
    offset_y: float = 0.0
    offset_scale_x: float = 0.0
    offset_scale_y: float = 0.0
    offset_shear_y: float = 0.0
    mix_rotate: float = 1.0
    mix_x: float = 1.0
    mix_y: float = 1.0
    mix_scale_x: float = 1.0
    mix_scale_y: float = 1.0
    mix_shear_y: float = 1.0


@dataclass(frozen=True, slots=True)
class PathConstraint:
    """A path constraint: ``bones`` are placed along the path attachment its target slot
    (on ``slot_bone``) shows in the setup pose (``shape``; None: not a path, nothing to
    do); ``first``: the bones updated before it (those of every path of that slot)."""

    name: str
    order: float
    bones: tuple[int, ...]
    first: tuple[int, ...]
    slot_bone: int
    shape: PathShape | None
    position_mode: str = "percent"
    spacing_mode: str = "length"
    rotate_mode: str = "tangent"
    offset_rotation: float = 0.0
    position: float = 0.0
    spacing: float = 0.0
    mix_rotate: float = 1.0
    mix_x: float = 1.0
    mix_y: float = 1.0


@dataclass(frozen=True, slots=True)
class InertConstraint:
    """A physics constraint: it takes its place in the update order (``first``: the bones
    it needs updated before it; ``bones``: the ones it would move), nothing more (physics
    does nothing in the setup pose: ``Physics.none``)."""

    kind: str
    name: str
    order: float
    bones: tuple[int, ...]
    first: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Constraints:
    """Every constraint of a skeleton, each list in the document's order."""

    ik: tuple[IkConstraint, ...] = ()
    transform: tuple[TransformConstraint, ...] = ()
    path: tuple[PathConstraint, ...] = ()
    physics: tuple[InertConstraint, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.ik or self.transform or self.path or self.physics)


IK_KEYS = (("mix", 1.0), ("softness", 0.0))
PATH_MODES = (
    ("positionMode", "percent", ("fixed", "percent")),
    ("spacingMode", "length", ("length", "fixed", "percent", "proportional")),
    ("rotateMode", "tangent", ("tangent", "chain", "chainScale")),
)
TRANSFORM_OFFSETS = (
    ("offset_rotation", "rotation"),
    ("offset_x", "x"),
    ("offset_y", "y"),
    ("offset_scale_x", "scaleX"),
    ("offset_scale_y", "scaleY"),
    ("offset_shear_y", "shearY"),
)


def read_constraints(
    document: Mapping[str, Any], bones: Mapping[str, int], slots: Mapping[str, int]
) -> Constraints:
    """The constraints of a skeleton ``document``; ``bones`` maps bone name -> index,
    ``slots`` slot name -> its bone's index. A constraint naming a bone or slot that does
    not exist, or with a value that is not a number, is a :class:`SkeletonError` (the
    runtimes refuse such a skeleton too)."""
    reader = _Reader(bones, slots)
    ik = tuple(reader.ik(entry) for entry in _entries(document, "ik"))
    transform = tuple(reader.transform(entry) for entry in _entries(document, "transform"))
    path = tuple(reader.path(entry, document) for entry in _entries(document, "path"))
    physics = tuple(reader.physics(entry) for entry in _entries(document, "physics"))
    return Constraints(ik=ik, transform=transform, path=path, physics=physics)


def _entries(document: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    entries = document.get(kind) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SkeletonError(
            f"'{kind}' is not a list of constraints", details={"problems": [f"'{kind}'"]}
        )
    return entries


class _Reader:
    def __init__(self, bones: Mapping[str, int], slots: Mapping[str, int]) -> None:
        self.bones = bones
        self.slots = slots

    def _fail(self, entry: Mapping[str, Any], what: str) -> SkeletonError:
        name = entry.get("name")
        return SkeletonError(f"constraint {name!r}: {what}", details={"problems": [str(name)]})

    def _bone(self, entry: Mapping[str, Any], name: Any) -> int:
        if not isinstance(name, str) or name not in self.bones:
            raise self._fail(entry, f"bone {name!r} does not exist")
        return self.bones[name]

    def _bones(self, entry: Mapping[str, Any]) -> tuple[int, ...]:
        names = entry.get("bones")
        if not isinstance(names, list):
            raise self._fail(entry, "it has no 'bones' list")
        return tuple(self._bone(entry, name) for name in names)

    def _number(self, entry: Mapping[str, Any], key: str, default: float) -> float:
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(entry, f"{key!r} is not a number")
        if not math.isfinite(value):
            raise self._fail(entry, f"{key!r} is not finite")
        return float(value)

    def _common(self, entry: Mapping[str, Any]) -> tuple[str, float]:
        return str(entry.get("name", "")), self._number(entry, "order", 0.0)

    def ik(self, entry: Mapping[str, Any]) -> IkConstraint:
        name, order = self._common(entry)
        return IkConstraint(
            name=name,
            order=order,
            bones=self._bones(entry),
            target=self._bone(entry, entry.get("target")),
            mix=self._number(entry, "mix", 1.0),
            softness=self._number(entry, "softness", 0.0),
            bend_direction=1 if entry.get("bendPositive", True) else -1,
            compress=bool(entry.get("compress", False)),
            stretch=bool(entry.get("stretch", False)),
            uniform=bool(entry.get("uniform", False)),
        )

    def transform(self, entry: Mapping[str, Any]) -> TransformConstraint:
        name, order = self._common(entry)
        offsets = {field: self._number(entry, key, 0.0) for field, key in TRANSFORM_OFFSETS}
        mix_x = self._number(entry, "mixX", 1.0)
        mix_scale_x = self._number(entry, "mixScaleX", 1.0)
        return TransformConstraint(
            name=name,
            order=order,
            bones=self._bones(entry),
            target=self._bone(entry, entry.get("target")),
            local=bool(entry.get("local", False)),
            relative=bool(entry.get("relative", False)),
            mix_rotate=self._number(entry, "mixRotate", 1.0),
            mix_x=mix_x,
            mix_y=self._number(entry, "mixY", mix_x),
            mix_scale_x=mix_scale_x,
            mix_scale_y=self._number(entry, "mixScaleY", mix_scale_x),
            mix_shear_y=self._number(entry, "mixShearY", 1.0),
            **offsets,
        )

    def path(self, entry: Mapping[str, Any], document: Mapping[str, Any]) -> PathConstraint:
        name, order = self._common(entry)
        slot = entry.get("target")
        if not isinstance(slot, str) or slot not in self.slots:
            raise self._fail(entry, f"target slot {slot!r} does not exist")
        modes = {}
        for key, default, allowed in PATH_MODES:
            value = str(entry.get(key, default))
            value = value[:1].lower() + value[1:]
            if value not in allowed:
                raise self._fail(entry, f"unknown {key} {value!r}")
            modes[key] = value
        mix_x = self._number(entry, "mixX", 1.0)
        bone = self.slots[slot]
        return PathConstraint(
            name=name,
            order=order,
            bones=self._bones(entry),
            first=path_sort_bones(document, slot, bone, len(self.bones)),
            slot_bone=bone,
            shape=setup_path(document, slot, len(self.bones)),
            position_mode=modes["positionMode"],
            spacing_mode=modes["spacingMode"],
            rotate_mode=modes["rotateMode"],
            offset_rotation=self._number(entry, "rotation", 0.0),
            position=self._number(entry, "position", 0.0),
            spacing=self._number(entry, "spacing", 0.0),
            mix_rotate=self._number(entry, "mixRotate", 1.0),
            mix_x=mix_x,
            mix_y=self._number(entry, "mixY", mix_x),
        )

    def physics(self, entry: Mapping[str, Any]) -> InertConstraint:
        name, order = self._common(entry)
        return InertConstraint("physics", name, order, (self._bone(entry, entry.get("bone")),))
