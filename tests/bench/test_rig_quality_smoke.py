"""``bench/rig_quality.py`` must not rot: on one small character (goblins: one weighted mesh,
three skins, linked meshes) the harness runs end to end through the official spine-core
runtime, its output is well-formed, and following the artist's rig against itself gives a
residual of exactly 0 while the rigid regions give 1.

Plus the pure pieces it rests on: the region fit recovers a known placement, and a point
carried by a mesh lands where the bilinear map of the same quad puts it.

Needs the shared corpus (``corpus/rigs``) and Node with ``tools/spine-check``'s packages;
without them the test skips with the reason, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from bench.rig_geometry import bilinear, carry, locate, opaque_grid
from bench.rig_quality import main, measure
from bench.rig_strip import Bone, fit_region
from bench.rig_track import track_problem

from tests.shared_corpus import require


def _require_runtime() -> None:
    require("corpus/rigs/goblins/goblins-pro.json")
    problem = track_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{problem} (CI=true: the official runtime is required)")
        pytest.skip(problem)


@pytest.mark.corpus
def test_goblins_artist_against_itself_is_zero(tmp_path: Path) -> None:
    _require_runtime()
    result = measure("goblins", tmp_path, spinelift=None)

    assert result["character"] == "goblins"
    assert result["attachments"] == 1  # the spear: the only mesh the artist weighted
    assert result["points"] > 20 and result["frames"] == 11  # walk: 1 s at 10 fps
    rigs = result["rigs"]
    assert rigs["artist"]["ratio"] == 0.0 and rigs["artist"]["mean_px"] == 0.0
    assert rigs["artist"]["outside"] == 0 and rigs["artist"]["flips_pct"] == 0.0
    assert rigs["rigid"]["ratio"] == pytest.approx(1.0)
    assert rigs["rigid"]["mean_px"] > 0.5  # the spear really bends in the walk
    assert 0.0 < rigs["naive"]["ratio"] < 1.0
    assert rigs["naive"]["point_frames"] == rigs["artist"]["point_frames"] > 0
    assert "not available" in rigs["ours"]["error"]
    stripped = json.loads((tmp_path / "stripped.json").read_text())
    meshes = [
        a for s in stripped["skins"] for e in s["attachments"].values() for a in e.values()
        if a.get("type") in ("mesh", "linkedmesh")
    ]  # fmt: skip
    assert meshes == []  # every mesh became a region (or was dropped as bent)
    assert (
        (tmp_path / "bones.txt")
        .read_text()
        .splitlines()[1]
        .startswith("default/left-hand-item/spear=")
    )


@pytest.mark.corpus
def test_cli_json_is_well_formed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _require_runtime()
    figures = tmp_path / "figures.txt"
    code = main(["--characters", "goblins", "--no-ours", "--json", "--figures-out", str(figures)])

    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["character"] for r in rows] == ["goblins", "pooled"]
    assert rows[1]["rigs"]["naive"]["ratio"] == pytest.approx(rows[0]["rigs"]["naive"]["ratio"])
    assert "goblins" in figures.read_text() and "pooled" in figures.read_text()


def test_fit_region_recovers_a_known_placement() -> None:
    bone = Bone(
        "b", a=0.0, b=-2.0, c=2.0, d=0.0, x=10.0, y=-5.0, length=30.0
    )  # rotated 90°, scaled 2
    width, height, x, y, rotation, sx, sy = 40.0, 20.0, 3.0, -4.0, 25.0, 1.5, -0.8
    uvs = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.3, 0.6]], dtype=np.float64)
    q = np.stack([(uvs[:, 0] - 0.5) * width * sx, (0.5 - uvs[:, 1]) * height * sy], axis=1)
    r = math.radians(rotation)
    local = q @ np.array([[math.cos(r), math.sin(r)], [-math.sin(r), math.cos(r)]]) + [x, y]
    world = local @ bone.matrix().T + [bone.x, bone.y]

    fit = fit_region(bone, world, uvs, width, height)

    assert fit.residual < 1e-6
    assert (fit.x, fit.y) == pytest.approx((x, y), abs=1e-6)
    # a region flipped on y is the same region as one rotated 180° and flipped on x
    assert (fit.rotation, fit.scale_x, fit.scale_y) in (
        pytest.approx((rotation, sx, sy), abs=1e-6),
        pytest.approx((rotation - 180.0, -sx, -sy), abs=1e-6),
    )


def test_mesh_and_region_carry_points_alike() -> None:
    corners = np.array([[[0, 0], [1, 9], [11, 10], [10, 1]]], dtype=np.float64)  # BL, TL, TR, BR
    uvs = np.array([[0, 1], [0, 0], [1, 0], [1, 1]], dtype=np.float64)
    triangles = np.array([[0, 1, 2], [2, 3, 0]])
    alpha = np.zeros((16, 16), dtype=np.uint8)
    alpha[:, :12] = 255
    points = opaque_grid(alpha, 4, 128)
    assert len(points) == 12 and points.max() < 1

    index, bary = locate(points, uvs, triangles)
    assert (index >= 0).all() and np.allclose(bary.sum(axis=1), 1)
    assert np.allclose(carry(corners, triangles, index, bary), bilinear(corners, points))
    outside, _ = locate(np.array([[1.5, 0.5]]), uvs, triangles)
    assert outside.tolist() == [-1]
