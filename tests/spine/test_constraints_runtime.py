"""Our setup pose against the official runtime's (spine-core 4.2, ``worlds.mjs``): every
bone's world matrix within 1e-6, IK, transform and path constraints applied.

``node tools/spine-check/worlds.mjs SKELETON``: spine-core's ``setToSetupPose();
updateWorldTransform(Physics.none)``. Skipped without Node and spine-core (a failure under
``CI=true``), like ``tests/runtime``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.runtime.conftest import require_runtime
from tests.runtime.spine_runtime import TOOL_DIR, node_executable
from tests.shared_corpus import require
from tests.spine.constraint_samples import constraint_zoo

from spinelift.spine.bone_pose import world_transforms
from spinelift.spine.skeleton_data import read_skeleton

CHARACTERS = ("spineboy", "stretchyman", "goblins", "alien", "tank")


def runtime_worlds(path: Path, *without: str) -> np.ndarray:
    """(n, 2, 3): spine-core's setup-pose world matrices of the skeleton at ``path``."""
    require_runtime()
    node = node_executable()
    assert node is not None
    command = [node, str(TOOL_DIR / "worlds.mjs"), str(path)]
    if without:
        command += ["--without", ",".join(without)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    bones: list[dict[str, Any]] = json.loads(done.stdout)["bones"]
    return np.array([[[b["a"], b["b"], b["x"]], [b["c"], b["d"], b["y"]]] for b in bones])


def assert_same_pose(document: dict[str, Any], path: Path) -> None:
    data = read_skeleton(document)
    ours = world_transforms(data.bones, data.constraints)
    theirs = runtime_worlds(path)
    for i, bone in enumerate(data.bones):
        np.testing.assert_allclose(ours[i], theirs[i], rtol=0, atol=1e-6, err_msg=bone.name)


def test_every_ik_and_transform_feature_poses_as_spine_core(tmp_path: Path) -> None:
    document = constraint_zoo()
    path = tmp_path / "zoo.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert_same_pose(document, path)
    # and the constraints do move these bones (the comparison is not vacuous)
    data = read_skeleton(document)
    moved = np.abs(world_transforms(data.bones) - runtime_worlds(path)).max(axis=(1, 2))
    chains = {b.name.split("-")[0] for b, m in zip(data.bones, moved, strict=True) if m > 0.1}
    assert len(chains) == 27  # 15 IK, 4 transform, 1 mixed, 7 path


def test_without_a_kind_the_runtime_leaves_those_constraints_out(tmp_path: Path) -> None:
    document = constraint_zoo()
    path = tmp_path / "zoo.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    data = read_skeleton(document)
    plain = world_transforms(data.bones)
    bare = runtime_worlds(path, "ik", "transform", "path", "physics")
    np.testing.assert_allclose(plain, bare, rtol=0, atol=1e-6)


@pytest.mark.corpus
@pytest.mark.parametrize("character", CHARACTERS)
def test_corpus_rig_setup_pose_is_spine_cores(character: str) -> None:
    path = require(f"corpus/rigs/{character}/{character}-pro.json")
    assert_same_pose(json.loads(path.read_text(encoding="utf-8")), path)
