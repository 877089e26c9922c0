"""Spine's Import PSD rules, one assertion per rule, on a PSD built from plain shapes
(tests/io/feature_psd.py): each rule's group holds a control layer that the rule must
leave alone. Placement in the official runtime: tests/runtime/test_runtime_psd_rules.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from spinelift.errors import DocumentError
from spinelift.io.document import Document
from spinelift.io.export import ExportOptions, export_document
from spinelift.io.export_image import document_export_image
from spinelift.io.psd import read_psd
from tests.io.feature_psd import BOXES, CANVAS, ORIGIN, Group, Rect, build, write_feature_psd


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Document:
    return read_psd(write_feature_psd(tmp_path_factory.mktemp("psd") / "features.psd"))


@pytest.fixture(scope="module")
def out(document: Document, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("out")
    export_document(document, folder, ExportOptions(workers=1, atlas=False))
    return folder


@pytest.fixture(scope="module")
def skeleton(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "features.json").read_text())
    return data


def _skin(skeleton: dict[str, Any], name: str = "default") -> dict[str, Any]:
    skin: dict[str, Any] = next(s for s in skeleton["skins"] if s["name"] == name)["attachments"]
    return skin


def _png(out: Path, path: str) -> np.ndarray:
    return np.asarray(Image.open(out / "images" / f"{path}.png"))


def _bone(skeleton: dict[str, Any], name: str) -> tuple[float, float]:
    bone = next(b for b in skeleton["bones"] if b["name"] == name)
    return bone.get("x", 0.0), bone.get("y", 0.0)


def _skeleton_point(x: float, y: float) -> tuple[float, float]:
    return x - ORIGIN[0], ORIGIN[1] - y


# ------------------------------------------------------------------------- [skin]


def test_the_same_layer_in_two_skins_is_one_slot(skeleton: dict[str, Any]) -> None:
    slots = [s["name"] for s in skeleton["slots"]]
    assert slots.count("fist") == 1 and "fist (2)" not in slots
    assert "fist_plain" in _skin(skeleton)["fist_plain"]  # control: default skin


def test_skin_entries_are_keyed_by_placeholder_named_skin_slash(skeleton: dict[str, Any]) -> None:
    assert _skin(skeleton, "red")["fist"]["fist"]["name"] == "red/fist"
    assert _skin(skeleton, "blue")["fist"]["fist"]["name"] == "blue/fist"
    assert "name" not in _skin(skeleton)["fist_plain"]["fist_plain"]  # control


def test_skin_images_are_in_the_skin_folder(out: Path) -> None:
    assert (out / "images" / "red" / "fist.png").is_file()
    assert (out / "images" / "blue" / "fist.png").is_file()


def test_the_same_placeholder_twice_in_a_skin_and_slot_is_an_error() -> None:
    tree: list[Rect | Group] = [
        Group("[skin:red]", [Rect("fist", (0, 0, 10, 10)), Rect("fist", (20, 0, 30, 10))])
    ]
    with pytest.raises(DocumentError, match="same placeholder") as caught:
        export_document(read_psd(build(tree)), Path("/nonexistent/never-written"))
    assert caught.value.code == "DOCUMENT_INVALID"
    assert caught.value.details["rule"] == "duplicate_placeholder"


# ------------------------------------------------------------------------- [scale]


def test_scale_resamples_the_image_and_scales_the_attachment_back(
    out: Path, skeleton: dict[str, Any]
) -> None:
    half, full = _png(out, "half"), _png(out, "full")
    assert half.shape[:2] == (40 // 2 + 4, 40 // 2 + 4)  # resampled by 0.5, then padded by 2
    assert full.shape[:2] == (44, 44)  # control
    assert _skin(skeleton)["half"]["half"]["width"] == 48  # shown at the layer's size
    assert _skin(skeleton)["full"]["full"]["width"] == 44


def test_global_scale_resamples_every_image(document: Document, tmp_path: Path) -> None:
    export_document(document, tmp_path, ExportOptions(workers=1, atlas=False, scale=0.5))
    assert _png(tmp_path, "full").shape[:2] == (40 // 2 + 4, 40 // 2 + 4)
    assert _png(tmp_path, "half").shape[:2] == (40 // 4 + 4, 40 // 4 + 4)


# ------------------------------------------------------------------------- [path]


def test_path_names_the_image_and_keeps_the_attachment_key(
    out: Path, skeleton: dict[str, Any]
) -> None:
    assert _skin(skeleton)["armimg"]["armimg"]["path"] == "arm_picture"
    assert (out / "images" / "arm_picture.png").is_file()
    assert "path" not in _skin(skeleton)["plainpath"]["plainpath"]  # control


def test_path_patterns_apply_to_children_unless_escaped(skeleton: dict[str, Any]) -> None:
    assert _skin(skeleton)["leg"]["leg"]["path"] == "p_leg"
    assert "path" not in _skin(skeleton)["foot"]["foot"]  # [!path]


# ----------------------------------------------------------- name/bone/slot patterns


def test_name_pattern_comes_first_then_slot_and_bone_patterns(skeleton: dict[str, Any]) -> None:
    assert "L_hand" in _skin(skeleton)["s_L_hand"]
    assert next(s for s in skeleton["slots"] if s["name"] == "s_L_hand")["bone"] == "b_hand"


def test_escapes_block_the_group_patterns(skeleton: dict[str, Any]) -> None:
    assert "foot2" in _skin(skeleton)["foot2"]  # [!name] [!slot]
    assert next(s for s in skeleton["slots"] if s["name"] == "foot2")["bone"] == "foot2"  # [!bone]


# ------------------------------------------------------------------------- [trim]


def test_trim_canvas_makes_the_image_the_canvas_plus_padding(out: Path) -> None:
    assert _png(out, "canvasimg").shape[:2] == (CANVAS[1] + 4, CANVAS[0] + 4)
    assert _png(out, "plaintrim").shape[:2] == (14, 14)  # control


def test_trim_mask_makes_the_image_the_mask_bounds(out: Path) -> None:
    assert _png(out, "maskimg").shape[:2] == (25 + 4, 25 + 4)


def test_trim_ws_trims(out: Path) -> None:
    assert _png(out, "wsimg").shape[:2] == (14, 14)


def test_global_no_trim_makes_every_image_the_canvas(document: Document, tmp_path: Path) -> None:
    export_document(document, tmp_path, ExportOptions(workers=1, atlas=False, trim=False))
    assert _png(tmp_path, "plaintrim").shape[:2] == (CANVAS[1] + 4, CANVAS[0] + 4)
    assert _png(tmp_path, "wsimg").shape[:2] == (14, 14)  # its own [trim] wins


# ------------------------------------------------------------------------- [pad]


def test_pad_replaces_the_global_padding(out: Path) -> None:
    assert _png(out, "nopad").shape[:2] == (10, 10)  # [pad:0]
    assert _png(out, "bigpad").shape[:2] == (22, 22)  # [pad:6]
    assert _png(out, "padchild").shape[:2] == (18, 18)  # a group's [pad:4]
    assert _png(out, "padplain").shape[:2] == (14, 14)  # control: the global 2


# ------------------------------------------------------------------------- [overlay]


def test_overlay_is_drawn_into_the_layers_below_and_has_no_image(
    out: Path, document: Document
) -> None:
    assert not (out / "images" / "shade.png").exists()
    base = _png(out, "ov_base")  # box (10, 10)-(50, 50), padded by 2; shade from (30, 30)
    assert tuple(base[2 + 5, 2 + 5, :3]) == (255, 255, 255)  # outside the overlay
    assert tuple(base[2 + 30, 2 + 30, :3]) == (255, 0, 0)  # inside: the overlay's colour
    above = _png(out, "ov_above")  # a layer above the overlay: untouched (control)
    assert tuple(above[2 + 5, 2 + 5, :3]) == (255, 255, 255)
    assert any("[overlay]" in reason for _, reason in document.skipped)


# ------------------------------------------------------------------------- [origin]


def test_origin_layer_is_the_skeleton_origin_and_has_no_image(
    document: Document, out: Path, skeleton: dict[str, Any]
) -> None:
    assert document.origin == ORIGIN
    assert not (out / "images" / "o.png").exists()
    assert _bone(skeleton, "body") == _skeleton_point(305, 115)


def test_guides_give_the_origin_without_an_origin_layer(tmp_path: Path) -> None:
    psd = build([Rect("a", (100, 60, 120, 80))], guides=[(100.0, 0), (80.0, 1), (7.0, 0)])
    document = read_psd(psd)
    assert document.origin == (100.0, 80.0)  # the first vertical and horizontal guides
    export_document(document, tmp_path, ExportOptions(workers=1, atlas=False))
    mesh = json.loads((tmp_path / "document.json").read_text())["skins"][0]["attachments"]["a"]["a"]
    xy = np.asarray(mesh["vertices"]).reshape(-1, 2)
    assert xy[:, 0].min() < 0.5 and xy[:, 1].min() < 0.5  # the layer's bottom-left at 0,0
    assert read_psd(build([Rect("a", (0, 0, 5, 5))])).origin == (None, None)  # control


# ------------------------------------------------------------------------ [bones]/[slots]


def test_bones_tag_gives_each_child_a_bone_unless_escaped(skeleton: dict[str, Any]) -> None:
    bone_of = {s["name"]: s["bone"] for s in skeleton["slots"]}
    assert bone_of["ba"] == "ba"
    assert bone_of["bb"] == "root"  # [!bones]


def test_slots_tag_gives_each_child_a_slot_unless_escaped(skeleton: dict[str, Any]) -> None:
    assert set(_skin(skeleton)["pair"]) == {"p1", "p2"}  # the child group is one slot
    assert "solo" in _skin(skeleton)["solo"]


# ------------------------------------------------------------------ bone position, slots


def test_a_bone_sits_at_the_centre_of_its_first_visible_layer(skeleton: dict[str, Any]) -> None:
    left, top, right, bottom = BOXES["chest"]  # the top-most visible layer of [bone] body
    assert _bone(skeleton, "body") == _skeleton_point((left + right) / 2, (top + bottom) / 2)


def test_slot_names_keep_their_slash(skeleton: dict[str, Any]) -> None:
    assert "jewels/gem" in [s["name"] for s in skeleton["slots"]]


# ------------------------------------------------------------------------- [mesh:name]


def test_a_linked_mesh_names_its_source_in_the_same_slot(skeleton: dict[str, Any]) -> None:
    linked = _skin(skeleton)["cape"]["cape_alt"]
    source = _skin(skeleton)["cape"]["cape_src"]
    assert linked["type"] == "linkedmesh" and source["type"] == "mesh"
    assert (linked["parent"], linked["skin"]) == ("cape_src", "default")
    assert (linked["width"], linked["height"]) == (source["width"], source["height"])


def test_a_linked_mesh_image_is_its_own_at_the_source_size(out: Path) -> None:
    alt, src = _png(out, "cape_alt"), _png(out, "cape_src")
    assert alt.shape == src.shape
    assert tuple(alt[22, 22, :3]) == (200, 60, 160)


def test_a_linked_mesh_without_a_source_in_its_slot_is_an_error() -> None:
    tree: list[Rect | Group] = [
        Rect("src [mesh]", (0, 0, 10, 10)),
        Rect("alt [mesh:src]", (20, 0, 30, 10)),  # another slot
    ]
    with pytest.raises(DocumentError, match="same slot") as caught:
        export_document(read_psd(build(tree)), Path("/nonexistent/never-written"))
    assert caught.value.details["rule"] == "linked_mesh_source"


# ------------------------------------------------------------------ options, confinement


def test_ignore_hidden_layers_leaves_them_out(document: Document, tmp_path: Path) -> None:
    export_document(document, tmp_path, ExportOptions(workers=1, atlas=False, include_hidden=False))
    assert not (tmp_path / "images" / "hidden_top.png").exists()
    assert (tmp_path / "images" / "chest.png").is_file()


def test_layer_names_never_leave_the_images_folder(tmp_path: Path) -> None:
    tree: list[Rect | Group] = [
        Rect("../../evil [path:/../../x]", (0, 0, 10, 10)),
        Group("[folder:/etc]", [Rect("passwd", (20, 0, 30, 10))]),
    ]
    export_document(read_psd(build(tree)), tmp_path / "out", ExportOptions(workers=1, atlas=False))
    written = [p.resolve() for p in (tmp_path / "out").rglob("*.png")]
    assert written and all((tmp_path / "out").resolve() in p.parents for p in written)


def test_the_export_image_api_gives_what_the_export_writes(document: Document, out: Path) -> None:
    options = ExportOptions(workers=1, atlas=False)
    for name in ("half", "canvasimg", "maskimg", "nopad"):
        position = next(k for k, x in enumerate(document.layers) if x.name == name)
        image = document_export_image(document, position, options)
        assert np.array_equal(image.rgba, _png(out, name)), name


def test_the_same_placeholder_twice_in_an_asked_slot_is_an_error() -> None:
    tree: list[Rect | Group] = [
        Group("[slot:hands]", [Rect("hand", (0, 0, 10, 10)), Rect("hand", (20, 0, 30, 10))])
    ]
    with pytest.raises(DocumentError, match="same placeholder"):
        export_document(read_psd(build(tree)), Path("/nonexistent/never-written"))


def test_untagged_layers_sharing_a_name_keep_converting(tmp_path: Path) -> None:
    """A PSD not made for Spine ("Layer 1" in two groups): one slot each (our choice, the
    script refuses it; docs/psd.md)."""
    tree: list[Rect | Group] = [
        Group("a", [Rect("Layer 1", (0, 0, 10, 10))]),
        Group("b", [Rect("Layer 1", (20, 0, 30, 10))]),
    ]
    export_document(read_psd(build(tree)), tmp_path, ExportOptions(workers=1, atlas=False))
    slots = [s["name"] for s in json.loads((tmp_path / "document.json").read_text())["slots"]]
    assert slots == ["Layer 1", "Layer 1 (2)"]
