"""Safe relative paths for attachment paths, atlas region names and image files.

Layer names come from a PSD anyone may have written: they can hold ``..``, absolute
paths, backslashes, control characters, markup or names Windows refuses. The export
uses them three ways at once, and each has rules:

* an image file ``images/<path>.png`` (Spine's images folder, and our loose-image
  output): no traversal, no absolute path, nothing Windows or macOS refuse;
* an atlas region name, one line of the atlas text that the runtimes' ``TextureAtlas``
  parses: no line break, no ``:`` (a line with a colon is read as a ``key: value``
  field, so the region would vanish into the previous entry), no leading or trailing
  blanks, not empty (an empty line ends the page);
* a ``path`` in the skeleton JSON, which the runtimes look up in the atlas verbatim.

:func:`safe_path` maps any name to a path that satisfies all three, keeping Unicode
letters; :func:`unique_paths` also makes a list of them unique, case-insensitively
(macOS and Windows file systems do not tell ``Arm`` from ``arm``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_COMPONENT_BYTES = 200
"""Longest path component in UTF-8 bytes: room for ``.png`` and a ``_NN`` suffix under
the usual 255-byte file-name limit."""

_FORBIDDEN = frozenset('<>:"|?*')
"""Refused in Windows file names; ``:`` also breaks the atlas text."""

_KEEP_FORMAT = frozenset("\u200c\u200d")
"""Zero-width (non-)joiners: format characters some scripts and emoji need."""

_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)

_SPACES = re.compile(r" +")


def safe_path(name: str, *, fallback: str = "unnamed") -> str:
    """``name`` as a safe relative path of ``/``-separated components.

    ``/`` and ``\\`` separate components. In each component: Unicode is put in NFC form;
    whitespace runs become one space; control, format (except zero-width joiners),
    surrogate, private-use and unassigned characters are removed; ``< > : " | ? *`` become
    ``_``; leading and trailing spaces and dots are stripped (so ``.``, ``..`` and hidden
    names cannot occur, and Windows' silent trimming changes nothing); Windows device
    names (``CON``, ``com1`` ...) get a ``_`` appended; components longer than
    :data:`MAX_COMPONENT_BYTES` are cut. Empty components are dropped; an empty result
    becomes ``fallback`` (itself made safe). The result never starts with ``/``, never
    contains ``..``, a backslash, a colon or a control character, and ``safe_path`` of
    it is itself.
    """
    parts = [_safe_component(part) for part in re.split(r"[/\\]", name)]
    kept = [part for part in parts if part]
    if kept:
        return "/".join(kept)
    if fallback == "unnamed":
        return fallback
    return safe_path(fallback)


def unique_paths(names: Iterable[str], *, fallback: str = "unnamed") -> list[str]:
    """:func:`safe_path` of each name, made unique case-insensitively, in input order.

    The second and later holders of a path get ``_2``, ``_3`` ... on their last
    component (the first free number), so ``["Arm", "arm", "arm"]`` gives
    ``["Arm", "arm_2", "arm_3"]``. Deterministic: depends only on the input order.
    """
    safe = [safe_path(name, fallback=fallback) for name in names]
    taken = {path.casefold() for path in safe}
    seen: set[str] = set()
    out: list[str] = []
    for path in safe:
        key = path.casefold()
        if key in seen:
            n = 2
            while f"{path}_{n}".casefold() in taken:
                n += 1
            path = f"{path}_{n}"
            key = path.casefold()
            taken.add(key)
        seen.add(key)
        out.append(path)
    return out


def is_safe_path(path: str) -> bool:
    """True when ``path`` is already what :func:`safe_path` would make of it."""
    return bool(path) and safe_path(path) == path


def _safe_component(part: str) -> str:
    chars: list[str] = []
    for char in part:
        category = unicodedata.category(char)
        if char.isspace():
            chars.append(" ")
        elif char in _FORBIDDEN:
            chars.append("_")
        elif category in ("Cc", "Cs", "Co", "Cn") or (
            category == "Cf" and char not in _KEEP_FORMAT
        ):
            continue
        else:
            chars.append(char)
    text = unicodedata.normalize("NFC", "".join(chars))
    text = _SPACES.sub(" ", text).strip(" .")
    text = _truncate(text).rstrip(" .")
    stem, dot, rest = text.partition(".")
    if stem.upper() in _WINDOWS_RESERVED:
        text = f"{stem}_{dot}{rest}"
    return text


def _truncate(text: str) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= MAX_COMPONENT_BYTES:
        return text
    return encoded[:MAX_COMPONENT_BYTES].decode("utf-8", errors="ignore")
