"""PhotoshopToSpine-compatible ``[tags]`` in layer and group names (pure).

Esoteric Software's ``PhotoshopToSpine.jsx`` (v7) reads square-bracket tags
anywhere in a layer or group name: ``head [slot]``, ``[bone:arm] arm``. We read
the same tags with the same meaning, so a PSD prepared for that script converts
the same way here. The user documentation is ``docs/psd.md``; in short:

=====================  ===========================================================
tag                    meaning (nearest layer-or-group carrying it wins)
=====================  ===========================================================
``[ignore]``           the layer, or the group and everything in it, is left out
``[merge]``            (group) the group is flattened into ONE layer
``[bone]``/``:name``   layers below hang on this bone; value defaults to the name
``[slot]``/``:name``   layers below go into this one slot (default: one per layer)
``[skin]``/``:name``   layers below go into this skin; also a folder for names
``[folder]``/``:name`` prefix ``name/`` for the attachment names below; nests
``[mesh]``/``:name``   mesh attachment; with a name: linked mesh of ``name``
``[scale:X]``          image scaled by X, attachment by 1/X (X > 0)
``[pad:N]``            N px padding around the image instead of the global padding
``[trim]``/``:value``  ``ws``/``true`` trim, ``canvas``/``false`` full canvas, ``mask``
``[path:name]``        image name when it differs from the attachment name
``[overlay]``          clipping overlay drawn into every layer below (no image)
``[origin]``           the layer's centre is the skeleton's 0,0 (no image)
``[bones]``/``[slots]`` (group) each immediate child gets ``[bone]`` / ``[slot]``
``[name:pre*post]``    (group) children's names become ``pre<name>post``
``[path|bone|slot:p*s]`` (group) pattern for the children's paths / bones / slots
``[!bones]`` ...       ``[!bones|slots|name|path|bone|slot]``: block the parent's tag
anything else          kept in ``LayerTags.overrides`` (``[key:value]``, or ``""``)
=====================  ===========================================================

Parsing: a tag is ``[`` + text without ``]`` + ``]``; the key (before the first
``:``) is matched case-insensitively, the value is trimmed and keeps its case; the
first occurrence of a key wins. The clean name is the raw name with every tag
removed and outer whitespace trimmed (the script's ``stripTags``); a trailing
``.png`` is dropped as the script does. Names stay text: nothing here builds a
file path. A value the script refuses (``[scale:abc]``, ``[name:x]`` without
``*``, ``[path]`` without a name) is reported in :attr:`ParsedName.problems`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from spinelift.io.document import LayerTags

_TAG = re.compile(r"\[([^\]]+)\]")
_NAMED = ("bone", "slot", "skin", "folder")
_INHERITED = ("bone", "slot", "skin", "scale", "pad", "trim")
_ESCAPES = ("bones", "slots", "name", "path", "bone", "slot")
_TRIM = {"": "ws", "true": "ws", "ws": "ws", "false": "canvas", "canvas": "canvas", "mask": "mask"}


@dataclass(frozen=True)
class ParsedName:
    """A layer or group name split into its clean ``name`` and its ``tags``.

    ``problems``: human-readable messages for tags with invalid values (empty when
    all is well); the tag is then ignored.
    """

    raw: str
    name: str
    tags: LayerTags
    problems: tuple[str, ...] = field(default=())


def clean_name(raw: str) -> str:
    """``raw`` without its tags, trimmed, without a trailing ``.png``."""
    name = _TAG.sub("", raw).strip()
    return name[:-4] if name.lower().endswith(".png") else name


def parse_name(raw: str) -> ParsedName:
    """Parse every ``[tag]`` of one layer or group name (see the module docstring)."""
    name = clean_name(raw)
    values: dict[str, Any] = {}
    overrides: dict[str, str] = {}
    problems: list[str] = []
    seen: set[str] = set()
    for match in _TAG.finditer(raw):
        key, colon, value = match.group(1).partition(":")
        key, value = key.strip().lower(), value.strip()
        if key in seen:
            continue
        seen.add(key)
        problem = _apply(key, value if colon else None, name, values, overrides)
        if problem:
            problems.append(f"{raw!r}: [{match.group(1)}] {problem}")
    return ParsedName(raw, name, LayerTags(**values, overrides=overrides), tuple(problems))


def _apply(
    key: str, value: str | None, name: str, out: dict[str, Any], overrides: dict[str, str]
) -> str | None:
    """Store one tag into ``out``; return a problem message or ``None``."""
    if key in ("ignore", "merge", "overlay", "bones", "slots", "origin"):
        out[key] = True
    elif key.startswith("!") and key[1:] in _ESCAPES:
        out["escapes"] = (*out.get("escapes", ()), key[1:])
    elif key in _NAMED:
        out[key] = value or name
    elif key == "mesh":
        out["mesh"] = True
        out["linked_mesh"] = value or None
    elif key == "trim":
        mode = _TRIM.get((value or "").lower())
        if mode is None:
            return "needs true, ws, false, canvas or mask, e.g. [trim:mask]"
        out["trim"] = mode
    elif key == "scale":
        number = _float(value)
        if number is None or not (number > 0 and math.isfinite(number)):
            return "needs a positive number, e.g. [scale:0.5]"
        out["scale"] = number
    elif key == "pad":
        if value is None or not value.isdigit():
            return "needs a whole number of pixels >= 0, e.g. [pad:2]"
        out["pad"] = int(value)
    elif key == "path":
        if not value:
            return "needs an image name, e.g. [path:arm]"
        out["path"] = value
    elif key == "name":
        if not value or "*" not in value:
            return "needs a pattern with an asterisk, e.g. [name:left_*]"
        out["name_pattern"] = value
    else:
        overrides[key] = value or ""
    return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def effective_tags(group_tags: Sequence[LayerTags], own: LayerTags) -> LayerTags:
    """The tags that apply to a layer, as PhotoshopToSpine resolves them.

    ``group_tags``: the enclosing groups' tags, outermost first; ``own``: the
    layer's. For bone, slot, skin, scale, pad, trim and mesh the nearest carrier
    (the layer itself, then its group, ...) wins; ``ignore`` holds if any carries
    it; ``overrides`` merge with nearer keys winning. ``folder`` becomes the full
    folder path (see :func:`folder_path`) and ``skin`` the skin's full name
    (prefixed by the folders above the skin's group unless it starts with ``/``).
    ``merge``, ``path``, ``overlay`` and ``name_pattern`` stay the layer's own. A bone or
    slot value with ``*`` is a group's pattern (:func:`apply_patterns`), never a name.
    """
    chain = [*group_tags, own]
    values: dict[str, Any] = {}
    for key in _INHERITED:
        for tags in reversed(chain):
            if is_value(getattr(tags, key)):
                values[key] = getattr(tags, key)
                break
    for position in range(len(chain) - 1, -1, -1):
        if chain[position].mesh is not None:
            values["mesh"] = chain[position].mesh
            values["linked_mesh"] = chain[position].linked_mesh
            break
    for position in range(len(chain) - 1, -1, -1):
        skin = chain[position].skin
        if skin is not None:
            parent = folder_path(chain[:position])
            absolute = skin.startswith("/")
            values["skin"] = skin[1:] if absolute else (parent + "/" + skin if parent else skin)
            break
    overrides: dict[str, str] = {}
    for tags in chain:
        overrides.update(tags.overrides)
    folder = folder_path(chain)
    return replace(
        own,
        **values,
        ignore=any(tags.ignore for tags in chain),
        folder=folder or None,
        overrides=overrides,
    )


def is_value(value: Any) -> bool:
    """A tag value that names something (not absent, not a ``*`` pattern)."""
    return value is not None and not (isinstance(value, str) and "*" in value)


def apply_patterns(value: str, chain: Sequence[LayerTags], position: int, key: str) -> str:
    """``value`` (met at ``chain[position]``) through the ``[key:pre*post]`` patterns of the
    groups above it, innermost first; a ``[!key]`` on the way (the node itself included)
    blocks the patterns above it. ``key``: ``name``, ``path``, ``bone`` or ``slot``."""
    blocked = False
    for q in range(position, 0, -1):
        blocked = blocked or key in chain[q].escapes
        if blocked:
            break
        parent = chain[q - 1]
        pattern = parent.name_pattern if key == "name" else getattr(parent, key)
        if isinstance(pattern, str) and "*" in pattern:
            head, _, tail = pattern.partition("*")
            value = head + value + tail
    return value


def folder_path(chain: Sequence[LayerTags]) -> str:
    """The ``a/b`` prefix the ``[folder]`` and ``[skin]`` tags of ``chain`` give.

    ``chain``: outermost first. Inner folders nest in outer ones; a folder value
    starting with ``/`` ignores the folders above it; a skin named ``default``
    adds no folder; on a node with both, ``[skin]`` wins over ``[folder]`` (the editor's
    rule). Returns ``""`` when no folder applies.
    """
    parts: list[str] = []
    for tags in reversed(chain):
        folder = tags.skin if tags.skin is not None else tags.folder
        if folder is None or (tags.skin is not None and folder == "default"):
            continue
        if folder.startswith("/"):
            parts.append(folder[1:])
            break
        parts.append(folder)
    return "/".join(reversed(parts))


def attachment_name(name: str, group_tags: Sequence[LayerTags], own: LayerTags) -> str:
    """The Spine attachment name PhotoshopToSpine gives a layer called ``name``.

    ``[name:pattern]`` groups are applied innermost first (unless a ``[!name]`` blocks
    them), then the folder path is prefixed, unless the name starts with ``/`` (then only
    the ``/`` is dropped).
    """
    chain = [*group_tags, own]
    name = apply_patterns(name, chain, len(chain) - 1, "name")
    if name.startswith("/"):
        return name[1:]
    folder = folder_path(chain)
    return f"{folder}/{name}" if folder else name
