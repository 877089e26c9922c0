"""Deterministic JSON for Spine data: the same value always gives the same bytes.

Python's own float ``repr`` is the shortest string that reads back as the same
double, and it is the same on every platform; what varies between writers is
integral floats (``2.0`` vs ``2``), negative zero and numpy scalars. :func:`normalize`
removes those differences and :func:`dumps` writes the result.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def normalize(value: Any) -> Any:
    """A copy of ``value`` made of plain JSON types, normalised for byte-stable output.

    Mappings keep their key order (keys must be strings); tuples, lists and numpy arrays
    become lists; numpy scalars become Python numbers; integral floats become ints and
    ``-0.0`` becomes ``0``. Raises ``ValueError`` on NaN or infinity (not JSON) and
    ``TypeError`` on anything else that has no JSON form.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{number} has no JSON form")
        return int(number) if number.is_integer() else number
    if isinstance(value, np.ndarray):
        return [normalize(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {key!r}")
            out[key] = normalize(item)
        return out
    if isinstance(value, Sequence):
        return [normalize(v) for v in value]
    raise TypeError(f"{type(value).__name__} has no JSON form")


def dumps(value: Any, *, indent: int | None = None) -> str:
    """``value`` as deterministic JSON text (UTF-8 safe, no trailing newline).

    Compact (``","`` and ``":"`` separators) by default; with ``indent`` the usual
    pretty form. Key order is the mapping's order, so equal values built the same way
    give byte-identical text. See :func:`normalize` for what is accepted.
    """
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(
        normalize(value),
        ensure_ascii=False,
        allow_nan=False,
        indent=indent,
        separators=separators,
    )
