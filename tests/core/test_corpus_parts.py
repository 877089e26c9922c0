"""Every real character part of the shared corpus: no clipped pixel, a valid Spine mesh,
and at the defaults about the hull vertex count artists draw (median at most 8)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from spinelift.core import MeshSettings, build_mesh
from tests.core.mesh_checks import assert_covers, assert_valid_spine_mesh
from tests.shared_corpus import require

pytestmark = pytest.mark.corpus


def _parts() -> list[tuple[str, np.ndarray]]:
    folder = require("corpus/parts/images")
    return [
        (path.stem, np.asarray(Image.open(path).convert("RGBA")))
        for path in sorted(folder.glob("*.png"))
    ]


def test_every_part_is_covered_by_a_valid_mesh() -> None:
    parts = _parts()
    assert len(parts) >= 30
    hulls, overdraws = [], []
    for _name, rgba in parts:
        mesh = build_mesh(rgba)
        assert_valid_spine_mesh(mesh)
        assert_covers(mesh, rgba[:, :, 3] > MeshSettings().alpha_threshold)
        hulls.append(mesh.hull_count)
        overdraws.append(mesh.overdraw())
    assert np.median(hulls) <= 8
    assert np.median(overdraws) <= 0.32


def test_interior_vertices_on_real_parts_keep_coverage() -> None:
    settings = MeshSettings(internal_vertex_density=60, padding=1)
    for _name, rgba in _parts()[::4]:
        mesh = build_mesh(rgba, settings)
        assert_valid_spine_mesh(mesh)
        assert_covers(mesh, rgba[:, :, 3] > settings.alpha_threshold)
