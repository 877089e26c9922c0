"""Reading Spine skeletons (spine.skeleton_data), texel placement and the weighted layout
(spine.bound_mesh), deform timelines (spine.timelines)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from tests.spine.rig_samples import arm_skeleton

from spinelift.core.mesh import Mesh
from spinelift.errors import BoneHierarchyError, SkeletonError, UnsupportedSkeletonError
from spinelift.spine.bone_pose import bone_segments, world_transforms
from spinelift.spine.bound_mesh import texel_placement, weighted_mesh
from spinelift.spine.skeleton_data import BoneSetup, read_skeleton
from spinelift.spine.timelines import drop_deform_timelines


def test_reads_bones_slots_and_every_attachment_of_every_skin() -> None:
    data = read_skeleton(arm_skeleton())
    assert [b.name for b in data.bones] == ["root", "upper", "lower", "tip", "knob", "squash"]
    assert data.bones[2].parent == 1 and data.bones[2].x == 100 and data.bones[2].rotation == -20
    assert data.bones[5].scale_x == 0
    assert data.slots["flag"] == data.bone_index("tip")
    labels = [ref.label for ref in data.attachments()]
    assert labels == [
        "default/arm/arm",
        "default/badge/badge",
        "default/flag/flag",
        "default/ghost/ghost",
        "alt/arm/arm",
        "alt/flag/flag",
    ]
    kinds = {ref.label: ref.kind for ref in data.attachments()}
    assert kinds["alt/flag/flag"] == "linkedmesh"
    paths = {ref.label: ref.path for ref in data.attachments()}
    assert paths["alt/arm/arm"] == "arm-alt" and paths["default/arm/arm"] == "arm"


def test_world_transforms_chain_rotations_and_translations() -> None:
    world = world_transforms(read_skeleton(arm_skeleton()).bones)
    upper, lower = world[1], world[2]
    angle = math.radians(10)
    np.testing.assert_allclose(upper[:, 2], [0, 0])
    np.testing.assert_allclose(lower[:, 2], [100 * math.cos(angle), 100 * math.sin(angle)])
    total = math.radians(-10)
    np.testing.assert_allclose(  # 1e-7: spine-core's π is 3.1415927 (and ours with it)
        lower[:, :2],
        [[math.cos(total), -math.sin(total)], [math.sin(total), math.cos(total)]],
        atol=1e-7,
    )
    segments = bone_segments(read_skeleton(arm_skeleton()).bones, world)
    np.testing.assert_allclose(
        segments[2, 1] - segments[2, 0], [100 * math.cos(total), 100 * math.sin(total)]
    )
    np.testing.assert_allclose(world[5, :, :2], 0.0)  # scaled to zero


@pytest.mark.parametrize(
    "inherit", ["onlyTranslation", "noRotationOrReflection", "noScale", "noScaleOrReflection"]
)
def test_inherit_modes_drop_the_parent_rotation_or_scale(inherit: str) -> None:
    bones = [
        BoneSetup("root", -1, rotation=30, scale_x=2, scale_y=2),
        BoneSetup("child", 0, x=10, rotation=15, inherit=inherit),
    ]
    child = world_transforms(bones)[1]
    np.testing.assert_allclose(
        child[:, 2], [20 * math.cos(math.radians(30)), 20 * math.sin(math.radians(30))]
    )
    scale = math.hypot(child[0, 0], child[1, 0])
    rotation = math.degrees(math.atan2(child[1, 0], child[0, 0]))
    expected = {
        "onlyTranslation": (1.0, 15.0),
        "noRotationOrReflection": (2.0, 15.0),
        "noScale": (1.0, 45.0),
        "noScaleOrReflection": (1.0, 45.0),
    }[inherit]
    assert scale == pytest.approx(expected[0])
    assert rotation == pytest.approx(expected[1])


def test_not_a_skeleton_other_versions_and_bad_bone_trees_are_refused() -> None:
    with pytest.raises(SkeletonError):
        read_skeleton({"hello": 1})
    with pytest.raises(SkeletonError):
        read_skeleton([1, 2])
    old = arm_skeleton()
    old["skeleton"]["spine"] = "3.8.99"
    with pytest.raises(UnsupportedSkeletonError):
        read_skeleton(old)
    newer = arm_skeleton()
    newer["skeleton"]["spine"] = "4.3.01"
    with pytest.raises(UnsupportedSkeletonError):
        read_skeleton(newer)
    dict_skins = arm_skeleton()
    dict_skins["skins"] = {"default": {}}
    with pytest.raises(UnsupportedSkeletonError):
        read_skeleton(dict_skins)
    unknown = arm_skeleton()
    unknown["bones"][2]["parent"] = "nobody"
    with pytest.raises(BoneHierarchyError, match="does not exist"):
        read_skeleton(unknown)
    cycle = arm_skeleton()
    cycle["bones"][1]["parent"] = "lower"  # upper <- lower <- upper
    with pytest.raises(BoneHierarchyError, match="cycle"):
        read_skeleton(cycle)
    two_roots = arm_skeleton()
    del two_roots["bones"][2]["parent"]
    with pytest.raises(BoneHierarchyError):
        read_skeleton(two_roots)
    bad_slot = arm_skeleton()
    bad_slot["slots"][0]["bone"] = "nobody"
    with pytest.raises(SkeletonError):
        read_skeleton(bad_slot)


def test_region_placement_puts_the_image_corners_where_the_runtime_does() -> None:
    region = {
        "x": 10,
        "y": -4,
        "rotation": 90,
        "scaleX": 2,
        "scaleY": 0.5,
        "width": 40,
        "height": 20,
    }
    place = texel_placement(region, 80, 40)  # image twice the region's size: 2 px per unit
    # bottom-left image corner (0, 40) -> local (-40, -5) rotated by 90 -> (5, -40) + (10, -4)
    np.testing.assert_allclose(place(np.array([[0.0, 40.0]])), [[15.0, -44.0]], atol=1e-9)
    np.testing.assert_allclose(place(np.array([[40.0, 20.0]])), [[10.0, -4.0]], atol=1e-9)


def test_flat_mesh_placement_is_affine_and_a_bent_one_is_linear_per_triangle() -> None:
    mesh = copy.deepcopy(arm_skeleton()["skins"][0]["attachments"]["flag"]["flag"])
    place = texel_placement(mesh, 40, 30)
    assert place.affine is not None
    np.testing.assert_allclose(place(np.array([[0.0, 0.0], [40.0, 30.0]])), [[-10, 15], [30, -15]])
    mesh["vertices"][2] += 10  # bend one corner
    bent = texel_placement(mesh, 40, 30)
    assert bent.affine is None
    np.testing.assert_allclose(bent(np.array([[40.0, 0.0]])), [[40.0, 15.0]])
    np.testing.assert_allclose(bent(np.array([[0.0, 30.0]])), [[-10.0, -15.0]])


def test_weighted_layout_counts_bones_indexes_local_positions_and_exact_sums() -> None:
    mesh = Mesh(
        vertices=np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]),
        triangles=np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32),
        hull_count=4,
        edges=np.array([[0, 1], [1, 2], [2, 3], [3, 0]], dtype=np.int32),
        width=10,
        height=10,
    )
    world = np.array([[[1.0, 0, 0], [0, 1.0, 0]], [[0.0, -2, 5], [2, 0, 1]]])
    points = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 3.0], [5.0, 1.0]])
    weights = np.array([[1, 0], [1 / 3, 2 / 3], [0.5, 0.5], [0, 1]])
    out = weighted_mesh(
        {"name": "n", "color": "ff0000ff", "width": 3},
        mesh,
        points,
        np.array([0, 1]),
        weights,
        world,
    )
    assert out["type"] == "mesh" and out["name"] == "n" and out["color"] == "ff0000ff"
    assert out["hull"] == 4 and out["edges"] == [0, 2, 2, 4, 4, 6, 6, 0]
    assert out["uvs"] == [0, 0, 1, 0, 1, 1, 0, 1]
    values = out["vertices"]
    i, rebuilt = 0, []
    for _ in range(4):
        count = values[i]
        i += 1
        total, position = 0.0, np.zeros(2)
        for _ in range(count):
            bone, x, y, w = values[i : i + 4]
            assert bone in (0, 1)
            total += w
            position += w * (world[bone, :, :2] @ [x, y] + world[bone, :, 2])
            i += 4
        assert total == pytest.approx(1.0, abs=1e-12)  # the rounded decimals sum to 1
        rebuilt.append(position)
    assert i == len(values)
    np.testing.assert_allclose(rebuilt, points, atol=1e-3)


def test_deform_timelines_of_rebound_attachments_are_dropped_and_named() -> None:
    document = arm_skeleton()
    document["animations"]["old"] = {"deform": {"default": {"flag": {"flag": [{"time": 0}]}}}}
    dropped = drop_deform_timelines(document, [("default", "flag", "flag")])
    assert dropped == [("wave", "default", "flag", "flag"), ("old", "default", "flag", "flag")]
    assert "attachments" not in document["animations"]["wave"]
    assert "deform" not in document["animations"]["old"]
    assert "bones" in document["animations"]["wave"]
    assert drop_deform_timelines(arm_skeleton(), [("default", "arm", "arm")]) == []
