"""A layer's place in the rig as plain JSON, so a layer stored apart from its PSD (the
web app's database row) exports exactly as the CLI exports it from the PSD.

:func:`rig_record` keeps what the exporter reads besides pixels and placement: the
name as written in Photoshop, the layer kind, the enclosing groups and every
``[tag]`` of the layer and its groups. :func:`rig_fields` gives them back as the
keyword arguments of :class:`~spinelift.io.document.Layer`. Tags at their defaults are
left out, so a record stays small and an old record (``{}``) means "no tags".
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from spinelift.io.document import Document, Layer, LayerTags

_DEFAULTS = LayerTags()
_TAG_NAMES = tuple(f.name for f in fields(LayerTags))


def tags_record(tags: LayerTags) -> dict[str, Any]:
    """The tags that differ from the defaults, JSON-ready."""
    out: dict[str, Any] = {}
    for name in _TAG_NAMES:
        value = getattr(tags, name)
        if value != getattr(_DEFAULTS, name):
            if isinstance(value, dict):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
    return out


def tags_from_record(record: Any) -> LayerTags:
    """:class:`LayerTags` from :func:`tags_record` (unknown or mistyped keys ignored)."""
    if not isinstance(record, dict):
        return LayerTags()
    values: dict[str, Any] = {}
    for name in _TAG_NAMES:
        if name not in record:
            continue
        value, default = record[name], getattr(_DEFAULTS, name)
        if name == "overrides":
            if isinstance(value, dict):
                values[name] = {str(k): str(v) for k, v in value.items()}
        elif name == "scale":
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[name] = float(value)
        elif name == "pad":
            if isinstance(value, int) and not isinstance(value, bool):
                values[name] = value
        elif name == "trim":  # a bool in records written before [trim:canvas|mask]
            if isinstance(value, bool):
                values[name] = "ws" if value else "canvas"
            elif value in ("ws", "canvas", "mask"):
                values[name] = value
        elif name == "escapes":
            if isinstance(value, list):
                values[name] = tuple(str(v) for v in value)
        elif isinstance(default, bool) or name == "mesh":
            if isinstance(value, bool):
                values[name] = value
        elif isinstance(value, str):
            values[name] = value
    return LayerTags(**values)


def rig_record(layer: Layer) -> dict[str, Any]:
    """What the exporter needs of ``layer`` besides its pixels and placement."""
    record: dict[str, Any] = {"raw_name": layer.raw_name, "kind": layer.kind}
    if layer.group_path:
        record["group_path"] = list(layer.group_path)
        record["group_tags"] = [tags_record(tags) for tags in layer.group_tags]
    tags = tags_record(layer.tags)
    if tags:
        record["tags"] = tags
    if layer.mask_box is not None:
        record["mask_box"] = list(layer.mask_box)
    return record


def rig_fields(record: Any, name: str) -> dict[str, Any]:
    """``raw_name``, ``kind``, ``group_path``, ``group_tags``, ``tags`` and ``mask_box`` for a
    :class:`Layer` named ``name`` (defaults for whatever the record lacks)."""
    record = record if isinstance(record, dict) else {}
    path = record.get("group_path")
    group_path = tuple(str(p) for p in path) if isinstance(path, list) else ()
    given = record.get("group_tags")
    group_tags = [tags_from_record(t) for t in given] if isinstance(given, list) else []
    group_tags = (group_tags + [LayerTags()] * len(group_path))[: len(group_path)]
    raw = record.get("raw_name")
    kind = record.get("kind")
    box = record.get("mask_box")
    valid_box = isinstance(box, list) and len(box) == 4 and all(type(v) is int for v in box)
    return {
        "mask_box": tuple(box) if valid_box else None,
        "raw_name": raw if isinstance(raw, str) and raw else name,
        "kind": kind if isinstance(kind, str) and kind else "pixel",
        "group_path": group_path,
        "group_tags": tuple(group_tags),
        "tags": tags_from_record(record.get("tags")),
    }


def document_record(document: Document) -> dict[str, Any]:
    """The document-level facts the export reads besides its layers: the canvas size and
    the origin the PSD asks for (``[origin]`` layer or first guides), JSON-ready. The web
    app keeps it with the processed upload (the PSD job's result)."""
    x, y = document.origin
    return {"width": document.width, "height": document.height, "origin": [x, y]}


def document_origin(record: Any) -> tuple[float | None, float | None]:
    """``Document.origin`` from :func:`document_record` (``(None, None)`` when absent)."""
    origin = record.get("origin") if isinstance(record, dict) else None
    if not isinstance(origin, list) or len(origin) != 2:
        return (None, None)
    x, y = (
        float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None for v in origin
    )
    return (x, y)
