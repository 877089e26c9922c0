"""A small Spine data model: the parts of a skeleton SpineLift writes.

Field meanings follow the runtimes' ``SkeletonJson`` (spine-ts ``SkeletonJson.ts``):
bones are listed parents first with the root first; slots are listed in draw order,
bottom first; a skin maps slot name -> attachment name -> attachment mapping (see
:mod:`spinelift.spine.attachment`); the skin named ``default`` is the one the runtimes
fall back to. Values are plain and immutable; :func:`check_skeleton` says what a
runtime would refuse before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from spinelift.errors import InvalidParametersError

BlendMode = Literal["normal", "additive", "multiply", "screen"]
"""The slot blend modes of the runtimes (``BlendMode`` in ``SlotData.ts``)."""

BLEND_MODES: tuple[str, ...] = get_args(BlendMode)

_HEX_COLOR = re.compile(r"^[0-9a-f]{8}$")

Attachments = Mapping[str, Mapping[str, Mapping[str, Any]]]
"""slot name -> attachment name -> attachment mapping"""


@dataclass(frozen=True)
class Bone:
    """A bone in its parent's space: ``x``, ``y`` in skeleton units, y up; degrees CCW."""

    name: str
    parent: str | None = None
    x: float = 0.0
    y: float = 0.0
    rotation: float = 0.0
    scale_x: float = 1.0
    scale_y: float = 1.0
    length: float = 0.0
    color: str | None = None
    """nonessential: the bone's colour in the editor, ``rrggbbaa``"""


@dataclass(frozen=True)
class Slot:
    """A slot: a bone, a tint (``rrggbbaa``), the setup-pose attachment, a blend mode."""

    name: str
    bone: str
    color: str = "ffffffff"
    attachment: str | None = None
    blend: BlendMode = "normal"


@dataclass(frozen=True)
class Skin:
    """A named set of attachments: slot name -> attachment name -> attachment mapping."""

    name: str
    attachments: Attachments = field(default_factory=dict)


@dataclass(frozen=True)
class Skeleton:
    """Everything a skeleton JSON file holds that SpineLift writes.

    ``bounds`` is the setup pose's bounding box ``(x, y, width, height)`` in skeleton
    units; ``None`` has the writer compute it from the attachments. ``hash`` ``None``
    has the writer derive one from the content (so equal skeletons get equal hashes).
    """

    name: str
    bones: tuple[Bone, ...]
    slots: tuple[Slot, ...] = ()
    skins: tuple[Skin, ...] = ()
    bounds: tuple[float, float, float, float] | None = None
    images: str = "./images/"
    audio: str = ""
    fps: float | None = None
    """nonessential: the dopesheet frame rate; omitted when ``None`` (Spine's 30)"""
    hash: str | None = None


def slot_color(alpha: float = 1.0, rgb: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> str:
    """A slot colour ``rrggbbaa`` from channels in [0, 1] (e.g. a layer's opacity).

    Raises :class:`InvalidParametersError` for a channel outside [0, 1] or not finite.
    """
    channels = (*rgb, alpha)
    if not all(0.0 <= c <= 1.0 for c in channels):  # also refuses NaN
        raise InvalidParametersError(
            f"colour channels must lie in [0, 1], got {channels}",
            details={"fields": {"color": list(channels)}},
        )
    return "".join(f"{round(c * 255):02x}" for c in channels)


def check_skeleton(skeleton: Skeleton) -> None:
    """Raise :class:`InvalidParametersError` listing whatever the runtimes would refuse.

    Checked: one root bone, first; every parent listed before its child; unique bone,
    slot and skin names; every slot on a known bone; non-empty slot names (a ``/`` in a
    slot name is a slot folder in the editor; the runtimes keep the whole name); colours
    ``rrggbbaa``; known blend modes; skins naming known slots; a setup attachment found in
    some skin.
    """
    problems: list[str] = []
    bones = skeleton.bones
    if not bones:
        problems.append("a skeleton needs at least one bone")
    elif bones[0].parent is not None:
        problems.append(f"the first bone {bones[0].name!r} must be the root (no parent)")
    seen: set[str] = set()
    for i, bone in enumerate(bones):
        if not bone.name:
            problems.append("a bone has an empty name")
        if bone.name in seen:
            problems.append(f"two bones are named {bone.name!r}")
        if i > 0 and bone.parent is None:
            problems.append(f"bone {bone.name!r} has no parent; only the first bone may be root")
        if bone.parent is not None and bone.parent not in seen:
            problems.append(f"bone {bone.name!r}: parent {bone.parent!r} is not listed before it")
        if bone.color is not None and not _HEX_COLOR.match(bone.color):
            problems.append(f"bone {bone.name!r}: colour {bone.color!r} is not rrggbbaa")
        seen.add(bone.name)
    slot_names: set[str] = set()
    for slot in skeleton.slots:
        if not slot.name:
            problems.append("a slot has an empty name")
        if slot.name in slot_names:
            problems.append(f"two slots are named {slot.name!r}")
        slot_names.add(slot.name)
        if slot.bone not in seen:
            problems.append(f"slot {slot.name!r}: bone {slot.bone!r} does not exist")
        if not _HEX_COLOR.match(slot.color):
            problems.append(f"slot {slot.name!r}: colour {slot.color!r} is not rrggbbaa")
        if slot.blend not in BLEND_MODES:
            problems.append(f"slot {slot.name!r}: blend {slot.blend!r} is not one of {BLEND_MODES}")
    skin_names: set[str] = set()
    for skin in skeleton.skins:
        if not skin.name or skin.name in skin_names:
            problems.append(f"skin name {skin.name!r} is empty or used twice")
        skin_names.add(skin.name)
        for slot_name in skin.attachments:
            if slot_name not in slot_names:
                problems.append(f"skin {skin.name!r}: slot {slot_name!r} does not exist")
    for slot in skeleton.slots:
        if slot.attachment is not None and not any(
            slot.attachment in skin.attachments.get(slot.name, {}) for skin in skeleton.skins
        ):
            problems.append(
                f"slot {slot.name!r}: setup attachment {slot.attachment!r} is in no skin"
            )
    if problems:
        raise InvalidParametersError(
            "the skeleton cannot be written: " + "; ".join(problems),
            details={"problems": problems},
        )
