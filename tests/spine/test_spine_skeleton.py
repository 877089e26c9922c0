"""Layers placed on bones become the skeleton JSON the Spine 4.x runtimes read.

The rules checked here are those of spine-ts ``SkeletonJson.readSkeletonData`` (bones
parents first, slots on known bones, skins as an array of ``{name, attachments}``, a
mesh is unweighted when ``len(vertices) == len(uvs)``) and of spine-cpp's version check
(``skeleton.spine`` must start with the runtime's ``major.minor``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spinelift.core.mesh import Mesh
from spinelift.errors import InvalidParametersError
from spinelift.spine import (
    Bone,
    Skeleton,
    Skin,
    Slot,
    bone_world_positions,
    dumps,
    mesh_attachment,
    mesh_attachment_for_layer,
    region_attachment_for_layer,
    setup_pose_bounds,
    skeleton_dumps,
    skeleton_json,
    skeleton_point,
    slot_color,
    spine_version_string,
)

GOLDEN = Path(__file__).parent / "data" / "skeleton_small.json"

# the canvas is 200 x 100; the skeleton's origin is its bottom centre
ORIGIN = {"origin_x": 100.0, "origin_y": 100.0}


def small_skeleton(ring: Mesh, **changes: Any) -> Skeleton:
    """A root, a body bone at (0, 50), a ring mesh at canvas (90, 40) on the body, a
    half-transparent additive glow region at canvas (0, 0) on the root, a second skin."""
    body = Bone("body", parent="root", y=50)
    ring_att = mesh_attachment_for_layer(
        ring, canvas_left=90, canvas_top=40, bone_world_x=0, bone_world_y=50, path="ring", **ORIGIN
    )
    glow_att = region_attachment_for_layer(
        20,
        10,
        canvas_left=0,
        canvas_top=0,
        bone_world_x=0,
        bone_world_y=0,
        path="fx/glow",
        **ORIGIN,
    )
    values: dict[str, Any] = {
        "name": "small",
        "bones": (Bone("root"), body),
        "slots": (
            Slot("ring", "body", attachment="ring"),
            Slot("glow", "root", color=slot_color(0.5), attachment="glow", blend="additive"),
        ),
        "skins": (
            Skin("default", {"ring": {"ring": ring_att}, "glow": {"glow": glow_att}}),
            Skin("dim", {"glow": {"glow-dim": {**glow_att, "color": "ffffff40"}}}),
        ),
    }
    values.update(changes)
    return Skeleton(**values)


def read_like_the_runtime(data: dict[str, Any]) -> dict[str, Any]:
    """What spine-ts ``SkeletonJson.readSkeletonData`` does with our subset, or raises."""
    bones: list[str] = []
    for bone in data["bones"]:
        parent = bone.get("parent")
        assert parent is None or parent in bones, f"parent {parent} not found"
        bones.append(bone["name"])
    slots: list[str] = []
    for slot in data["slots"]:
        assert slot["bone"] in bones, f"Couldn't find bone {slot['bone']}"
        assert "/" not in slot["name"]  # 4.2 reads a/b as slot b in folder a
        assert slot.get("blend", "normal") in ("normal", "additive", "multiply", "screen")
        slots.append(slot["name"])
    assert isinstance(data["skins"], list)
    skins = {}
    for skin in data["skins"]:
        for slot_name, entries in skin["attachments"].items():
            assert slot_name in slots, f"Couldn't find slot {slot_name}"
            for att in entries.values():
                if att.get("type", "region") == "mesh":
                    assert len(att["vertices"]) == len(att["uvs"])  # unweighted
                    n = len(att["uvs"]) // 2
                    assert max(att["triangles"]) < n and 3 <= att["hull"] <= n
                else:
                    assert att["width"] > 0 and att["height"] > 0
        skins[skin["name"]] = skin
    assert "default" in skins
    assert isinstance(data.get("animations", {}), dict)
    return {"bones": bones, "slots": slots, "skins": sorted(skins)}


def test_golden_json_for_a_small_skeleton(ring: Mesh) -> None:
    text = skeleton_dumps(small_skeleton(ring), indent=1) + "\n"
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_output_is_byte_identical_for_equal_input(make_ring: Any) -> None:
    assert skeleton_dumps(small_skeleton(make_ring())) == skeleton_dumps(
        small_skeleton(make_ring())
    )


def test_the_runtime_rules_hold(ring: Mesh) -> None:
    read = read_like_the_runtime(skeleton_json(small_skeleton(ring)))
    assert read == {
        "bones": ["root", "body"],
        "slots": ["ring", "glow"],
        "skins": ["default", "dim"],
    }


def test_sections_and_header_keys_come_in_spines_order(ring: Mesh) -> None:
    data = skeleton_json(small_skeleton(ring, fps=24))
    assert list(data) == ["skeleton", "bones", "slots", "skins", "animations"]
    assert list(data["skeleton"]) == [
        "hash", "spine", "x", "y", "width", "height", "fps", "images", "audio"
    ]  # fmt: skip
    assert data["skeleton"]["images"] == "./images/" and data["skeleton"]["audio"] == ""
    assert data["animations"] == {}
    assert data["skins"][0]["name"] == "default"


def test_defaults_are_left_out_as_spine_does(ring: Mesh) -> None:
    data = skeleton_json(small_skeleton(ring))
    assert data["bones"][0] == {"name": "root"}
    assert data["bones"][1] == {"name": "body", "parent": "root", "y": 50}
    assert data["slots"][0] == {"name": "ring", "bone": "body", "attachment": "ring"}
    glow = {"name": "glow", "bone": "root", "color": "ffffff80", "attachment": "glow"}
    assert data["slots"][1] == {**glow, "blend": "additive"}


def test_mesh_vertices_go_from_layer_pixels_to_bone_space(ring: Mesh) -> None:
    att = mesh_attachment_for_layer(
        ring, canvas_left=10, canvas_top=20, bone_world_x=5, bone_world_y=50, **ORIGIN
    )
    vertices = np.array(att["vertices"]).reshape(-1, 2)
    # ring vertex (1, 1) -> canvas (11, 21) -> skeleton (11 - 100, 100 - 21) -> bone (-94, 29)
    assert vertices[0].tolist() == [-94, 29]
    # (12.25, 9) -> canvas (22.25, 29) -> skeleton (-77.75, 71) -> bone (-82.75, 21)
    assert vertices[2].tolist() == [-82.75, 21]


def test_placement_changes_only_the_vertices(ring: Mesh) -> None:
    placed = mesh_attachment_for_layer(
        ring, canvas_left=10, canvas_top=20, bone_world_x=5, bone_world_y=50, path="p", **ORIGIN
    )
    plain = mesh_attachment(ring, path="p")
    assert list(placed) == list(plain)
    for key in plain:
        if key != "vertices":
            assert placed[key] == plain[key], key


def test_placement_at_the_image_centre_equals_the_centred_attachment(ring: Mesh) -> None:
    # a bone at the image centre sees the image exactly as mesh_attachment centres it
    att = mesh_attachment_for_layer(
        ring, canvas_left=0, canvas_top=0, bone_world_x=6.5, bone_world_y=-5,
        origin_x=0, origin_y=0,
    )  # fmt: skip
    assert att["vertices"] == mesh_attachment(ring)["vertices"]


def test_scale_applies_to_canvas_offsets_and_vertices(ring: Mesh) -> None:
    att = mesh_attachment_for_layer(
        ring, canvas_left=10, canvas_top=20, bone_world_x=0, bone_world_y=0, scale=0.5, **ORIGIN
    )
    assert att["vertices"][:2] == [(11 - 100) * 0.5, (100 - 21) * 0.5]
    assert att["uvs"] == mesh_attachment(ring)["uvs"]
    assert skeleton_point(11, 21, scale=0.5, **ORIGIN) == (-44.5, 39.5)


def test_region_attachment_is_placed_by_its_centre() -> None:
    att = region_attachment_for_layer(
        20, 10, canvas_left=0, canvas_top=0, bone_world_x=0, bone_world_y=50, path="a", **ORIGIN
    )
    # centre (10, 5) -> skeleton (-90, 95) -> bone (-90, 45)
    assert att == {"path": "a", "x": -90, "y": 45, "width": 20, "height": 10}
    scaled = region_attachment_for_layer(
        20, 10, canvas_left=0, canvas_top=0, bone_world_x=0, bone_world_y=0, scale=2, **ORIGIN
    )
    assert (scaled["x"], scaled["scaleX"], scaled["scaleY"], scaled["width"]) == (-180, 2, 2, 20)


def test_bounds_cover_the_setup_pose(ring: Mesh) -> None:
    skeleton = small_skeleton(ring)
    x, y, w, h = setup_pose_bounds(skeleton)
    # glow: canvas (0, 0)-(20, 10) -> skeleton x -100..-80, y 90..100
    # ring hull: canvas (91, 41)-(102.25, 49) -> skeleton x -9..2.25, y 51..59
    assert (x, y, w, h) == (-100, 51, 102.25, 49)
    header = skeleton_json(skeleton)["skeleton"]
    assert (header["x"], header["y"], header["width"], header["height"]) == (-100, 51, 102.25, 49)
    assert skeleton_json(small_skeleton(ring, bounds=(1, 2, 3, 4)))["skeleton"]["x"] == 1


def test_bounds_of_an_empty_skeleton_are_zero() -> None:
    assert setup_pose_bounds(Skeleton("empty", (Bone("root"),))) == (0, 0, 0, 0)


def test_bone_world_positions_add_up_the_chain() -> None:
    bones = (Bone("root", x=1), Bone("a", "root", x=10, y=2), Bone("b", "a", y=-3))
    assert bone_world_positions(bones) == {"root": (1, 0), "a": (11, 2), "b": (11, -1)}
    with pytest.raises(InvalidParametersError, match="rotated or scaled"):
        bone_world_positions((Bone("root", rotation=90), Bone("a", "root")))


def test_hash_comes_from_the_content_unless_given(ring: Mesh) -> None:
    first = skeleton_json(small_skeleton(ring))["skeleton"]["hash"]
    moved = skeleton_json(small_skeleton(ring, bones=(Bone("root"), Bone("body", "root", y=51))))
    assert len(first) == 11 and moved["skeleton"]["hash"] != first
    assert skeleton_json(small_skeleton(ring, hash="abc"))["skeleton"]["hash"] == "abc"


@pytest.mark.parametrize(
    ("asked", "written"),
    [("4.2", "4.2.43"), ("4.1", "4.1.24"), ("4.0", "4.0.64"), ("4.2.17", "4.2.17")],
)
def test_version_strings(asked: str, written: str, ring: Mesh) -> None:
    assert spine_version_string(asked) == written
    assert skeleton_json(small_skeleton(ring), spine_version=asked)["skeleton"]["spine"] == written


def test_the_default_version_is_4_2_and_starts_with_major_minor(ring: Mesh) -> None:
    # spine-cpp refuses data whose version does not start with its own "4.2"
    assert skeleton_json(small_skeleton(ring))["skeleton"]["spine"].startswith("4.2.")


@pytest.mark.parametrize("version", ["3.8", "3.8.99", "4.3", "5", "latest", "4.2.x"])
def test_unsupported_versions_are_refused_clearly(version: str) -> None:
    with pytest.raises(InvalidParametersError, match="unsupported Spine version") as info:
        spine_version_string(version)
    if version.startswith("3."):
        assert "atlas" in info.value.message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bones": (Bone("body", "root"),)}, "must be the root"),
        ({"bones": (Bone("root"), Bone("body"))}, "only the first bone may be root"),
        ({"bones": (Bone("root"), Bone("body", "arm"))}, "not listed before it"),
        ({"bones": (Bone("root"), Bone("root", "root"))}, "two bones"),
        ({"slots": (Slot("", "root"),)}, "empty name"),
        ({"slots": (Slot("a", "nope"),)}, "does not exist"),
        ({"slots": (Slot("a", "root", color="fff"),)}, "rrggbbaa"),
        ({"slots": (Slot("a", "root", blend="overlay"),)}, "blend"),  # type: ignore[arg-type]
        ({"slots": (Slot("a", "root", attachment="missing"),)}, "is in no skin"),
        ({"skins": (Skin("default"), Skin("default"))}, "used twice"),
    ],
)
def test_what_the_runtimes_would_refuse_is_refused(
    change: dict[str, Any], message: str, ring: Mesh
) -> None:
    base: dict[str, Any] = {"slots": (), "skins": ()}  # only the change is wrong
    with pytest.raises(InvalidParametersError, match=message):
        skeleton_json(small_skeleton(ring, **{**base, **change}))


def test_slot_color_from_opacity() -> None:
    assert slot_color() == "ffffffff"
    assert slot_color(0.5) == "ffffff80"
    assert slot_color(0.0, (1.0, 0.0, 0.5)) == "ff008000"
    with pytest.raises(InvalidParametersError):
        slot_color(1.5)
    with pytest.raises(InvalidParametersError):
        slot_color(float("nan"))


def test_json_text_is_valid_json_that_parses_back(ring: Mesh) -> None:
    text = skeleton_dumps(small_skeleton(ring))
    assert json.loads(text) == json.loads(dumps(skeleton_json(small_skeleton(ring))))
