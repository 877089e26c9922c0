"""The Import PSD rules as the official spine-core 4.2 runtime places them: every setup
attachment of the feature PSD (tests/io/feature_psd.py) covers its PSD layer's pixels,
relative to the ``[origin]`` layer, whatever the rule ([scale], [trim], [pad], bones at
their first visible layer, slot folders, patterns)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinelift.io.export import ExportOptions, export_document
from spinelift.io.psd import read_psd
from tests.io.feature_psd import BOXES, ORIGIN, write_feature_psd
from tests.runtime.spine_runtime import check_export

# slot -> its setup attachment's layer (its name in BOXES, tags included)
EXPECTED = {
    "half": "[scale:0.5] half",
    "full": "full",
    "armimg": "armimg [path:arm_picture]",
    "s_L_hand": "hand [bone]",
    "foot2": "[!name] [!slot] [!bone] foot2 [bone]",
    "wsimg": "[trim] wsimg",
    "nopad": "[pad:0] nopad",
    "bigpad": "[pad:6] bigpad",
    "ba": "ba",
    "pair": "p1",
    "torso": "torso",
    "chest": "chest",
    "jewels/gem": "gem [slot:jewels/gem]",
    "cape": "cape_src [mesh]",
    "plain": "plain",
}


@pytest.mark.usefixtures("node_runtime")
def test_every_rule_places_its_pixels_where_the_psd_has_them(tmp_path: Path) -> None:
    psd = write_feature_psd(tmp_path / "features.psd")
    export_document(read_psd(psd), tmp_path / "out", ExportOptions(workers=1))
    report = check_export(tmp_path / "out")
    placed = {s["slot"]: s for s in report["slots"] if s["type"] == "mesh"}
    for slot, layer in EXPECTED.items():
        left, top, right, bottom = BOXES[layer]
        want = (left - ORIGIN[0], ORIGIN[1] - bottom, right - ORIGIN[0], ORIGIN[1] - top)
        got = placed[slot]["bounds"]
        box = (got["minX"], got["minY"], got["maxX"], got["maxY"])
        # the mesh hugs the opaque rectangle (its outline within a pixel of the edge)
        assert all(abs(g - w) <= 1.0 for g, w in zip(box, want, strict=True)), (slot, box, want)
    canvas = placed["canvasimg"]["bounds"]  # [trim:canvas]: the mesh still hugs its pixels
    left, top, right, bottom = BOXES["[trim:canvas] canvasimg"]
    assert abs(canvas["minX"] - (left - ORIGIN[0])) <= 1.0
    bones = {b["name"]: b for b in report["skeleton"]["bonesWorld"]}
    body = bones["body"]
    assert (round(body["worldX"], 3), round(body["worldY"], 3)) == (
        305 - ORIGIN[0],
        ORIGIN[1] - 115,
    )
