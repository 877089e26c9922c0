"""Our attachments follow the conventions of meshes drawn by hand in Spine's editor.

Reads the hand-made meshes of Esoteric's example characters from the shared corpus
(``../shared/corpus/parts/hand_made_meshes.json``); skipped when it is absent, failed
under ``CI=true``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from tests.shared_corpus import require

from spinelift.core.mesh import Mesh
from spinelift.spine import mesh_attachment

pytestmark = pytest.mark.corpus


def _hand_made() -> list[dict[str, Any]]:
    path = require("corpus/parts/hand_made_meshes.json")
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return entries


def _screen_signs(att: dict[str, Any]) -> tuple[float, np.ndarray]:
    """(hull signed area, triangle signed areas) in image pixels, y down (> 0 = clockwise)."""
    uv = np.array(att["uvs"], dtype=np.float64).reshape(-1, 2) * [att["width"], att["height"]]
    hull = uv[: att["hull"]]
    x, y = hull[:, 0], hull[:, 1]
    hull_area = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    p = uv[np.array(att["triangles"]).reshape(-1, 3)]
    a, b, c = p[:, 0], p[:, 1], p[:, 2]
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    return hull_area, cross


def test_hand_made_edges_index_the_float_array() -> None:
    for entry in _hand_made():
        mesh = entry["mesh"]
        assert all(e % 2 == 0 for e in mesh["edges"]), entry["image"]
        assert max(mesh["edges"]) < len(mesh["uvs"])


def test_we_wind_like_most_hand_made_meshes() -> None:
    entries = _hand_made()
    clockwise_hulls = sum(_screen_signs(e["mesh"])[0] > 0 for e in entries)
    clockwise_triangles = sum(bool((_screen_signs(e["mesh"])[1] > 0).all()) for e in entries)
    # measured: 29 of 32 hulls and 31 of 32 triangulations are clockwise on screen
    assert clockwise_hulls >= 0.85 * len(entries)
    assert clockwise_triangles >= 0.9 * len(entries)

    square = Mesh(
        np.array([[0, 0], [8, 0], [8, 8], [0, 8]], dtype=np.float64),
        np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32),
        4,
        np.array([[0, 1], [1, 2], [2, 3], [3, 0]], dtype=np.int32),
        8,
        8,
    )
    hull_area, cross = _screen_signs(mesh_attachment(square))
    assert hull_area > 0 and (cross > 0).all()
