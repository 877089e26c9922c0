"""``spinelift convert ART --skeleton RIGGED.json -o OUT``: new art into a rigged skeleton."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.spine.rig_samples import arm_skeleton

from spinelift.cli.main import main
from spinelift.spine.skeleton_data import read_skeleton

Capture = pytest.CaptureFixture[str]
CANVAS = (400, 400)


def canvas_layer(folder: Path, name: str, box: tuple[int, int, int, int]) -> None:
    """A canvas-size PNG ``name.png`` opaque inside ``box`` (left, top, right, bottom)."""
    rgba = np.zeros((CANVAS[1], CANVAS[0], 4), dtype=np.uint8)
    left, top, right, bottom = box
    rgba[top:bottom, left:right] = (90, 160, 220, 255)
    Image.fromarray(rgba, "RGBA").save(folder / f"{name}.png")


def test_matched_layers_are_rebound_new_ones_added_unmatched_attachments_kept(
    tmp_path: Path, capsys: Capture
) -> None:
    art = tmp_path / "art"
    art.mkdir()
    # origin bottom-center: skeleton (x, y) is canvas (200 + x, 400 - y); the arm runs
    # along +x from the root, so its new art is a bar right of the canvas centre
    canvas_layer(art, "arm", (200, 340, 400, 380))
    canvas_layer(art, "newpart", (20, 20, 60, 60))
    (tmp_path / "rigged.json").write_text(json.dumps(arm_skeleton()), encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        ["convert", str(art), "--skeleton", str(tmp_path / "rigged.json"), "-o", str(out), "--json"]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["matched"] == ["default/arm/arm"]
    assert report["added"] == ["default/newpart/newpart"]
    assert "default/badge/badge" in report["kept"] and "alt/arm/arm" in report["kept"]
    document = json.loads((out / "rigged.json").read_text(encoding="utf-8"))
    read_skeleton(document)
    assert document["bones"] == arm_skeleton()["bones"]
    assert document["animations"]["wave"]["bones"] == arm_skeleton()["animations"]["wave"]["bones"]
    arm = document["skins"][0]["attachments"]["arm"]["arm"]
    assert arm["type"] == "mesh" and len(arm["vertices"]) > len(arm["uvs"])
    assert (out / "images" / "arm.png").is_file() and (out / "images" / "newpart.png").is_file()
    assert Image.open(out / "images" / "arm.png").size == (200, 40)
    slot = next(s for s in document["slots"] if s["name"] == "newpart")
    assert slot["bone"] == "root"
    # untouched: the badge region and the other skin's arm
    original = arm_skeleton()["skins"]
    assert document["skins"][0]["attachments"]["badge"] == original[0]["attachments"]["badge"]
    assert document["skins"][1]["attachments"]["arm"] == original[1]["attachments"]["arm"]


def test_skeleton_errors_come_before_anything_is_written(tmp_path: Path, capsys: Capture) -> None:
    art = tmp_path / "art"
    art.mkdir()
    canvas_layer(art, "arm", (200, 340, 400, 380))
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    out = tmp_path / "out"
    assert (
        main(["convert", str(art), "--skeleton", str(tmp_path / "bad.json"), "-o", str(out)]) != 0
    )
    assert "SKELETON_INVALID" in capsys.readouterr().err
    assert not out.exists()
