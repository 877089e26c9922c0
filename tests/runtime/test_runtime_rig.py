"""``spinelift rig`` output in the official spine-core 4.2 runtime (Node, ``rig_play.mjs``).

* our unconstrained setup-pose bone transforms are spine-core's (every bone of every corpus
  rig; with constraints: ``tests/spine/test_constraints_runtime.py``);
* every rigged corpus character (``../shared/corpus/rigs``) loads and plays every animation
  at 10 fps with finite world vertices;
* every texel of a rebound attachment lands where the original drew it in the setup pose
  (max distance over the new mesh's vertices, by uv, through the runtime's own vertices),
  IK, transform and path constraints included.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spinelift.io.bind import RigOptions, rig_skeleton
from spinelift.io.bind_images import FolderImages
from spinelift.spine.bone_pose import world_transforms
from spinelift.spine.skeleton_data import read_skeleton
from tests.runtime.conftest import require_runtime
from tests.runtime.spine_runtime import node_executable
from tests.shared_corpus import require
from tests.spine.rig_samples import arm_skeleton, write_images

SCRIPT = Path(__file__).with_name("rig_play.mjs")
CHARACTERS = ("spineboy", "goblins", "alien", "stretchyman", "tank")


def play(
    rigged: Path,
    original: Path | None = None,
    *,
    bones: bool = False,
    pose: tuple[str, float] | None = None,
) -> dict[str, Any]:
    require_runtime()
    node = node_executable()
    assert node is not None
    command = [node, str(SCRIPT), str(rigged)]
    if original is not None:
        command.append(str(original))
    if bones:
        command.append("--bones")
    if pose is not None:
        command += ["--pose", pose[0], str(pose[1])]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def constrained_bones(document: dict[str, Any]) -> set[str]:
    """Bones a physics constraint may move (SpineLift binds in the pose without physics, as
    ``Physics.none`` poses it), and everything under them; IK, transform and path
    constraints are applied to the bind pose (``tests/spine/test_constraints_runtime.py``)."""
    moved: set[str] = set()
    for kind in ("physics",):
        for constraint in document.get(kind) or []:
            moved.update(constraint.get("bones") or [])
            if kind == "physics":
                moved.add(constraint.get("bone"))
    for bone in document["bones"]:  # parents come first
        if bone.get("parent") in moved:
            moved.add(bone["name"])
    return moved


@pytest.mark.parametrize("character", CHARACTERS)
def test_setup_bone_transforms_match_spine_core(character: str) -> None:
    path = require(f"corpus/rigs/{character}/{character}-pro.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    data = read_skeleton(document)
    ours = world_transforms(data.bones)
    theirs = play(path, bones=True)["bones"]
    for i, bone in enumerate(data.bones):
        a, b, x, c, d, y = theirs[bone.name]
        np.testing.assert_allclose(ours[i], [[a, b, x], [c, d, y]], atol=1e-4, err_msg=bone.name)


@pytest.mark.corpus
@pytest.mark.parametrize("character", CHARACTERS)
def test_rigged_corpus_character_plays_every_animation(character: str, tmp_path: Path) -> None:
    source = require(f"corpus/rigs/{character}/{character}-pro.json")
    document = json.loads(source.read_text(encoding="utf-8"))
    result = rig_skeleton(document, FolderImages(source.parent / "images"), RigOptions())
    out = tmp_path / "rigged.json"
    out.write_text(json.dumps(result.document), encoding="utf-8")
    report = play(out, source)
    assert set(report["animations"]) == set(document.get("animations", {}))
    for name, figures in report["animations"].items():
        assert figures["nonFinite"] == 0, name
        assert figures["frames"] >= 1
    bound = {a.label: a for a in result.attachments if a.status == "weighted"}
    assert bound and set(report["setup"]) == set(bound)
    moved = constrained_bones(document)
    for label, error in report["setup"].items():
        if not moved.intersection(bound[label].bones):
            # exact up to float32 and the written decimals; a bent artist mesh is matched
            # inside its triangles, and extrapolated for our hull vertices outside them
            assert error < 0.05, label


def test_sample_skeleton_texels_stay_in_place_and_animations_play(tmp_path: Path) -> None:
    images = write_images(tmp_path / "images")
    original = tmp_path / "arm.json"
    original.write_text(json.dumps(arm_skeleton()), encoding="utf-8")
    result = rig_skeleton(arm_skeleton(), FolderImages(images), RigOptions())
    out = tmp_path / "rigged.json"
    out.write_text(json.dumps(result.document), encoding="utf-8")
    report = play(out, original)
    assert set(report["setup"]) == {
        "default/arm/arm",
        "default/badge/badge",
        "default/flag/flag",
        "alt/arm/arm",
    }
    assert max(report["setup"].values()) < 1e-3
    assert report["animations"]["wave"]["nonFinite"] == 0
    assert report["animations"]["wave"]["frames"] == 11
    # the flag's deform key, re-expressed for its weighted mesh, moves the same texels
    keyed = play(out, original, pose=("wave", 0.5))
    assert keyed["setup"]["default/flag/flag"] < 1e-3


def test_texels_stay_in_place_where_ik_and_transform_constraints_move_the_bones(
    tmp_path: Path,
) -> None:
    original = arm_skeleton()
    original["bones"].append({"name": "grip", "parent": "root", "x": 120, "y": 110})
    original["ik"] = [{"name": "reach", "bones": ["upper", "lower"], "target": "grip"}]
    original["transform"] = [
        {
            "name": "spin",
            "order": 1,
            "bones": ["knob"],
            "target": "grip",
            "rotation": 40,
            "mixX": 0.5,
            "mixScaleX": 0.3,
            "mixShearY": 0,
        }
    ]
    images = write_images(tmp_path / "images")
    source = tmp_path / "arm.json"
    source.write_text(json.dumps(original), encoding="utf-8")
    result = rig_skeleton(original, FolderImages(images), RigOptions())
    arm = next(a for a in result.attachments if a.label == "default/arm/arm")
    assert {"upper", "knob"} <= set(arm.bones)  # knob: moved by the transform constraint
    out = tmp_path / "rigged.json"
    out.write_text(json.dumps(result.document), encoding="utf-8")
    report = play(out, source)
    assert report["setup"] and max(report["setup"].values()) < 1e-3
    assert all(figures["nonFinite"] == 0 for figures in report["animations"].values())


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["layer_effects", "pen-text", "masks2"])
def test_converted_corpus_psd_rigs_from_its_atlas_and_plays(name: str, tmp_path: Path) -> None:
    from spinelift.cli.main import main

    psd = require(f"corpus/psd/{name}.psd")
    out = tmp_path / "export"
    assert main(["convert", str(psd), "-o", str(out), "--no-preview", "--workers", "1"]) == 0
    skeleton = next(out.glob("*.json"))
    atlas = next(out.glob("*.atlas"))
    rigged = tmp_path / "rigged.json"
    assert main(["rig", str(skeleton), "--atlas", str(atlas), "-o", str(rigged)]) == 0
    report = play(rigged, skeleton)
    assert report["setup"] and max(report["setup"].values()) < 1e-3
