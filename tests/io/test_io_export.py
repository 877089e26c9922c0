"""export_document: the sample PSD becomes a complete, deterministic Spine project."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from spinelift.core import MeshSettings
from spinelift.errors import EmptyDocumentError
from spinelift.io.document import Document, Layer, LayerTags
from spinelift.io.export import ExportOptions, export_document
from spinelift.io.psd import read_psd, write_sample_psd
from spinelift.io.rig import Origin


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Document:
    path = write_sample_psd(tmp_path_factory.mktemp("psd") / "hero.psd", scale=0.5)
    return read_psd(path)


def _layer(name: str, rgba: np.ndarray, left: int = 0, top: int = 0, **kw: object) -> Layer:
    values: dict[str, object] = {
        "name": name, "raw_name": name, "rgba": rgba, "left": left, "top": top, "opacity": 1.0,
        "blend_mode": "normal", "psd_blend_mode": "normal", "visible": True, "has_mask": False,
        "kind": "pixel", "group_path": (), "group_tags": (), "tags": LayerTags(), "index": 0,
    }  # fmt: skip
    values.update(kw)
    return Layer(**values)  # type: ignore[arg-type]


def test_sample_exports_every_layer_as_a_mesh(sample: Document, tmp_path: Path) -> None:
    result = export_document(sample, tmp_path / "out", ExportOptions(workers=1))
    assert set(result.files) == {"hero.json", "hero.atlas", "hero.png", "preview.png"}
    assert not result.failed
    skeleton = json.loads((tmp_path / "out" / "hero.json").read_text())
    assert skeleton["skeleton"]["spine"].startswith("4.2.")
    assert next(b["name"] for b in skeleton["bones"]) == "root"
    assert {"arm_left", "head", "arm_right"} <= {b["name"] for b in skeleton["bones"]}
    slots = [s["name"] for s in skeleton["slots"]]
    assert slots == [layer.name for layer in sample.layers]  # PSD draw order, bottom first
    default = skeleton["skins"][0]
    assert default["name"] == "default"
    meshes = [a for slot in default["attachments"].values() for a in slot.values()]
    assert len(meshes) == len(sample.layers)
    assert all(m["type"] == "mesh" and m["hull"] >= 3 for m in meshes)
    # [folder:face] puts the eyes under face/ in the atlas and attachment names
    assert "face/eyes" in default["attachments"]["eyes"]
    assert "face/eyes" in (tmp_path / "out" / "hero.atlas").read_text()


def test_mesh_vertices_sit_where_the_layer_sat(sample: Document, tmp_path: Path) -> None:
    export_document(sample, tmp_path / "out", ExportOptions(workers=1, origin=Origin.TOP_LEFT))
    skeleton = json.loads((tmp_path / "out" / "hero.json").read_text())
    bones = {b["name"]: (b.get("x", 0.0), b.get("y", 0.0)) for b in skeleton["bones"]}
    torso = next(layer for layer in sample.layers if layer.name == "torso")
    mesh = skeleton["skins"][0]["attachments"]["torso"]["torso"]
    bx, by = bones[next(s["bone"] for s in skeleton["slots"] if s["name"] == "torso")]
    xy = np.asarray(mesh["vertices"], dtype=float).reshape(-1, 2) + np.array([bx, by])
    canvas = np.stack([xy[:, 0], -xy[:, 1]], axis=1)  # top-left origin, y up -> y down
    pad = ExportOptions().image_padding
    assert canvas[:, 0].min() >= torso.left - pad - 1e-6
    assert canvas[:, 1].min() >= torso.top - pad - 1e-6
    assert canvas[:, 0].max() <= torso.left + torso.width + pad + 1e-6
    assert canvas[:, 1].max() <= torso.top + torso.height + pad + 1e-6
    # and it reaches the layer's extent (covers it: no pixel of the torso left out)
    assert canvas[:, 0].min() <= torso.left and canvas[:, 0].max() >= torso.left + torso.width


def test_export_is_byte_identical_twice(sample: Document, tmp_path: Path) -> None:
    export_document(sample, tmp_path / "a", ExportOptions(workers=1))
    export_document(sample, tmp_path / "b", ExportOptions(workers=2))
    for name in ("hero.json", "hero.atlas", "hero.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_zip_and_loose_images(sample: Document, tmp_path: Path) -> None:
    export_document(sample, tmp_path / "hero.zip", ExportOptions(workers=1))
    with zipfile.ZipFile(tmp_path / "hero.zip") as archive:
        assert set(archive.namelist()) == {"hero.json", "hero.atlas", "hero.png", "preview.png"}
    loose = export_document(sample, tmp_path / "loose", ExportOptions(workers=1, atlas=False))
    assert "images/face/eyes.png" in loose.files and "hero.atlas" not in loose.files
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir()), "no staging left"


def test_hidden_layers_are_exported_but_not_shown(tmp_path: Path) -> None:
    square = np.full((8, 8, 4), 255, dtype=np.uint8)
    doc = Document(
        20, 20, (_layer("on", square), _layer("off", square, 10, 10, visible=False)), "d.psd"
    )
    export_document(doc, tmp_path / "o", ExportOptions(workers=1, preview=False))
    skeleton = json.loads((tmp_path / "o" / "d.json").read_text())
    shown = {s["name"]: s.get("attachment") for s in skeleton["slots"]}
    assert shown == {"on": "on", "off": None}
    skipped = export_document(
        doc, tmp_path / "s", ExportOptions(workers=1, preview=False, include_hidden=False)
    )
    assert [r.name for r in skipped.layers] == ["on"]


def test_opacity_and_blend_mode_reach_the_slot(tmp_path: Path) -> None:
    square = np.full((8, 8, 4), 255, dtype=np.uint8)
    doc = Document(8, 8, (_layer("glow", square, opacity=0.5, blend_mode="additive"),), "g.psd")
    export_document(doc, tmp_path / "o", ExportOptions(workers=1, preview=False))
    slot = json.loads((tmp_path / "o" / "g.json").read_text())["slots"][0]
    assert slot["color"] == "ffffff80" and slot["blend"] == "additive"


def test_a_failing_layer_is_reported_and_the_rest_exported(tmp_path: Path) -> None:
    square = np.full((8, 8, 4), 255, dtype=np.uint8)
    faint = np.full((8, 8, 4), 5, dtype=np.uint8)  # alpha 5: nothing above the threshold
    doc = Document(8, 8, (_layer("ok", square), _layer("faint", faint)), "f.psd")
    result = export_document(doc, tmp_path / "o", ExportOptions(workers=1, preview=False))
    assert [r.name for r in result.failed] == ["faint"]
    assert result.failed[0].error is not None
    assert result.failed[0].error.code == "NO_OPAQUE_PIXELS"
    skeleton = json.loads((tmp_path / "o" / "f.json").read_text())
    assert [s["name"] for s in skeleton["slots"]] == ["ok"]


def test_nothing_written_when_no_layer_meshes(tmp_path: Path) -> None:
    faint = np.full((8, 8, 4), 5, dtype=np.uint8)
    doc = Document(8, 8, (_layer("faint", faint),), "f.psd")
    with pytest.raises(EmptyDocumentError, match="no layer could be meshed"):
        export_document(doc, tmp_path / "o", ExportOptions(workers=1))
    assert not (tmp_path / "o").exists()
    assert list(tmp_path.iterdir()) == []


def test_layer_settings_and_name_tags_tune_one_layer(sample: Document, tmp_path: Path) -> None:
    fine = MeshSettings(detail_factor=0.001)
    base = export_document(sample, tmp_path / "a", ExportOptions(workers=1, preview=False))
    tuned = export_document(
        sample,
        tmp_path / "b",
        ExportOptions(workers=1, preview=False, layer_settings={"torso": fine}),
    )
    hull = {r.name: r.hull for r in base.layers}
    tuned_hull = {r.name: r.hull for r in tuned.layers}
    assert tuned_hull["torso"] > hull["torso"]
    assert tuned_hull["head"] == hull["head"]
    # the sample's hair carries [detail_factor:0.005]: finer than the default
    hair = next(r for r in base.layers if r.name.startswith("hair"))
    assert hair.hull > 12


def test_layer_names_never_become_raw_paths(tmp_path: Path) -> None:
    square = np.full((8, 8, 4), 255, dtype=np.uint8)
    names = ("../../evil", "<script>alert(1)</script>", "a/b/../../c", "CON", "x:y")
    layers = tuple(_layer(n, square, index=i) for i, n in enumerate(names))
    result = export_document(
        Document(8, 8, layers, "../n.psd"), tmp_path / "o", ExportOptions(atlas=False, workers=1)
    )
    for rel in result.files:
        assert ".." not in Path(rel).parts and ":" not in rel and "<" not in rel
        assert (tmp_path / "o" / rel).resolve().is_relative_to((tmp_path / "o").resolve())
