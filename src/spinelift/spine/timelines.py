"""Animation timelines that name attachments: finding and dropping deform (FFD) keys.

A deform timeline stores offsets for an attachment's own vertices; once the attachment
is replaced by a new mesh they no longer match it (the runtimes would read past the
new vertex list). Spine 4.x keeps them under
``animations[A]["attachments"][skin][slot][attachment]["deform"]``; 3.x under
``animations[A]["deform"][skin][slot][attachment]``. Both are handled.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Key = tuple[str, str, str]
"""(skin, slot, attachment)"""


def deform_timelines(document: dict[str, Any]) -> list[tuple[str, Key, dict[str, Any]]]:
    """Every 4.x deform timeline: ``(animation, (skin, slot, attachment), timelines)``
    where ``timelines["deform"]`` is the list of keys (edit it in place)."""
    found: list[tuple[str, Key, dict[str, Any]]] = []
    for anim_name, animation in (document.get("animations") or {}).items():
        holder = animation.get("attachments") if isinstance(animation, dict) else None
        if isinstance(holder, dict):
            for skin, slot, name in _walk(holder):
                timelines = holder[skin][slot][name]
                if isinstance(timelines, dict) and isinstance(timelines.get("deform"), list):
                    found.append((anim_name, (skin, slot, name), timelines))
    return found


def drop_deform_timelines(
    document: dict[str, Any], attachments: Iterable[Key]
) -> list[tuple[str, str, str, str]]:
    """Remove, in place, every deform timeline of the given attachments; return what was
    removed as ``(animation, skin, slot, attachment)``, in document order. Emptied
    containers are removed too; other timelines (sequence keys...) are kept."""
    wanted = set(attachments)
    dropped: list[tuple[str, str, str, str]] = []
    for anim_name, animation in (document.get("animations") or {}).items():
        if not isinstance(animation, dict):
            continue
        holder = animation.get("attachments")
        if isinstance(holder, dict):
            for skin, slot, name in _walk(holder):
                timelines = holder[skin][slot][name]
                if (
                    (skin, slot, name) in wanted
                    and isinstance(timelines, dict)
                    and "deform" in timelines
                ):
                    del timelines["deform"]
                    dropped.append((anim_name, skin, slot, name))
                    if not timelines:
                        del holder[skin][slot][name]
            _prune(animation, "attachments")
        legacy = animation.get("deform")
        if isinstance(legacy, dict):
            for skin, slot, name in _walk(legacy):
                if (skin, slot, name) in wanted:
                    del legacy[skin][slot][name]
                    dropped.append((anim_name, skin, slot, name))
            _prune(animation, "deform")
    return dropped


def _walk(holder: dict[str, Any]) -> list[Key]:
    found: list[Key] = []
    for skin, slots in holder.items():
        if isinstance(slots, dict):
            for slot, names in slots.items():
                if isinstance(names, dict):
                    found.extend((skin, slot, name) for name in names)
    return found


def _prune(animation: dict[str, Any], key: str) -> None:
    """Remove empty slot and skin maps under ``animation[key]``, then the key if empty."""
    holder = animation[key]
    for skin in list(holder):
        slots = holder[skin]
        if isinstance(slots, dict):
            for slot in list(slots):
                if isinstance(slots[slot], dict) and not slots[slot]:
                    del slots[slot]
            if not slots:
                del holder[skin]
    if not holder:
        del animation[key]
