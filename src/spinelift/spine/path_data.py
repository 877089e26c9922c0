"""Path attachments as a path constraint sees them (PURE).

:func:`path_sort_bones` lists the bones spine-core updates before a path constraint
(``Skeleton.sortPathConstraint``); :func:`setup_path` reads the path attachment its target
slot shows in the setup pose (the slot's ``attachment`` in the default skin, as spine-core
finds it with no skin set) into a :class:`PathShape`, vertices rounded to float32 as
spine-ts ``SkeletonJson.readVertices`` stores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from spinelift.errors import SkeletonError


@dataclass(frozen=True, slots=True)
class PathShape:
    """A path attachment: ``vertices`` are x, y pairs in its slot bone's space, or, when
    ``bones`` is set (spine's ``[count, bone, ..., count, ...]``), x, y, weight triples;
    ``world_length`` is twice the vertex count; ``lengths`` are the curves' cumulative
    lengths (used when not ``constant_speed``)."""

    closed: bool
    constant_speed: bool
    lengths: tuple[float, ...]
    vertices: tuple[float, ...]
    bones: tuple[int, ...] | None
    world_length: int


def _skins(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    skins = [s for s in document.get("skins") or [] if isinstance(s, dict)]
    default = [s for s in skins if s.get("name") == "default"][:1]
    return default + [s for s in skins if s not in default]


def _weighted(vertices: list[Any], slot: str, bone_count: int) -> tuple[list[int], list[float]]:
    """Spine's ``bones`` list and x, y, weight triples of weighted ``vertices``."""
    bones: list[int] = []
    weights: list[float] = []
    at = 0
    while at < len(vertices):
        n = int(vertices[at])
        chunk = vertices[at + 1 : at + 1 + 4 * n]
        indices = [int(v) for v in chunk[::4]]
        if len(chunk) != 4 * n or not all(0 <= i < bone_count for i in indices):
            raise SkeletonError(
                f"path attachment on slot {slot!r}: its weighted vertices are malformed",
                details={"problems": [slot]},
            )
        bones.append(n)
        for k in range(n):
            bones.append(indices[k])
            weights += [float(v) for v in chunk[4 * k + 1 : 4 * k + 4]]
        at += 1 + 4 * n
    return bones, weights


def path_sort_bones(
    document: Mapping[str, Any], slot: str, slot_bone: int, bone_count: int
) -> tuple[int, ...]:
    """The bones of every path attachment of ``slot`` in every skin (its slot's bone when
    not weighted), default skin first: what spine-core updates before the constraint."""
    order: list[int] = []
    for skin in _skins(document):
        for attachment in (((skin.get("attachments") or {}).get(slot)) or {}).values():
            if not isinstance(attachment, dict) or attachment.get("type") != "path":
                continue
            vertices = attachment.get("vertices") or []
            if len(vertices) == int(attachment.get("vertexCount", 0)) * 2:
                order.append(slot_bone)
                continue
            bones, _ = _weighted(vertices, slot, bone_count)
            at = 0
            while at < len(bones):
                order += bones[at + 1 : at + 1 + bones[at]]
                at += 1 + bones[at]
    return tuple(order)


def setup_path(document: Mapping[str, Any], slot: str, bone_count: int) -> PathShape | None:
    """The path attachment ``slot`` shows in the setup pose, or None (not a path)."""
    entry = next(
        (s for s in document.get("slots") or [] if isinstance(s, dict) and s.get("name") == slot),
        None,
    )
    name = entry.get("attachment") if entry else None
    default = [s for s in _skins(document) if s.get("name") == "default"][:1]
    if name is None or not default:
        return None
    attachment = ((default[0].get("attachments") or {}).get(slot) or {}).get(name)
    if not isinstance(attachment, dict) or attachment.get("type") != "path":
        return None
    try:
        count = int(attachment["vertexCount"])
        vertices = list(attachment.get("vertices") or [])
        lengths = [float(v) for v in attachment.get("lengths") or []]
        lengths += [0.0] * max(0, count // 3 - len(lengths))
        bones: list[int] | None = None
        values = [float(v) for v in vertices]
        if len(vertices) != count * 2:
            bones, values = _weighted(vertices, slot, bone_count)
    except (KeyError, TypeError, ValueError) as exc:
        raise SkeletonError(
            f"path attachment {name!r} on slot {slot!r} is malformed",
            details={"problems": [slot]},
        ) from exc
    single = np.asarray(values, dtype=np.float32).astype(np.float64)
    return PathShape(
        closed=bool(attachment.get("closed", False)),
        constant_speed=bool(attachment.get("constantSpeed", True)),
        lengths=tuple(lengths),
        vertices=tuple(single.tolist()),
        bones=None if bones is None else tuple(bones),
        world_length=count * 2,
    )
