"""IK and transform constraints in the setup pose (spine.constraints, spine.bone_pose):
reading them with spine-core's defaults, and what they do to hand-made skeletons."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from tests.spine.constraint_samples import constraint_zoo, ik_arm, skeleton

from spinelift.errors import SkeletonError
from spinelift.spine.bone_math import Pose
from spinelift.spine.bone_pose import update_order, world_transforms
from spinelift.spine.constraints import IkConstraint, TransformConstraint
from spinelift.spine.skeleton_data import read_skeleton


def posed(document: dict[str, object]) -> tuple[np.ndarray, dict[str, int]]:
    data = read_skeleton(document)
    index = {bone.name: i for i, bone in enumerate(data.bones)}
    return world_transforms(data.bones, data.constraints), index


def tip(world: np.ndarray, i: int, length: float) -> np.ndarray:
    return world[i, :, 2] + world[i, :, 0] * length


def test_constraints_are_read_with_spine_core_defaults() -> None:
    document = constraint_zoo()
    document["transform"].append({"name": "bare", "bones": ["two-kid"], "target": "root"})
    data = read_skeleton(document)
    ik = {c.name: c for c in data.constraints.ik}
    assert ik["two-ik"] == IkConstraint("two-ik", 0.0, ik["two-ik"].bones, ik["two-ik"].target)
    assert ik["bend-ik"].bend_direction == -1 and ik["two-ik"].bend_direction == 1
    assert ik["far-ik"].stretch and ik["far-ik"].uniform and ik["far-ik"].mix == 0.8
    bare = data.constraints.transform[-1]
    assert bare == TransformConstraint("bare", 0.0, (data.bone_index("two-kid"),), 0)
    tc = {c.name: c for c in data.constraints.transform}["tc1-transform"]
    assert tc.relative and not tc.local
    assert (tc.mix_x, tc.mix_y, tc.mix_scale_x, tc.mix_scale_y) == (0.6, 0.6, 0.5, 0.3)
    assert tc.offset_rotation == 17 and tc.offset_scale_y == -0.2
    path = data.constraints.path[0]
    assert path.first == (data.bone_index("late-src"),) == (path.slot_bone,)
    assert (path.position_mode, path.spacing_mode, path.rotate_mode) == (
        "percent",
        "length",
        "tangent",
    )
    assert path.shape is not None and path.shape.bones is None and path.shape.constant_speed
    weighted = {c.name: c for c in data.constraints.path}["pweight-pc"]
    holder, other = data.bone_index("pweight-holder"), data.bone_index("pweight-other")
    assert weighted.shape is not None and weighted.shape.bones is not None
    assert weighted.shape.bones[:3] == (2, holder, other) and weighted.first[:2] == (holder, other)
    assert weighted.rotate_mode == "chainScale" and weighted.spacing_mode == "percent"
    assert data.constraints.physics[0].bones == (data.bone_index("two-kid"),)


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("ik", {"target": "nobody"}, "bone 'nobody' does not exist"),
        ("ik", {"bones": ["upper", "ghost"]}, "bone 'ghost' does not exist"),
        ("ik", {"mix": "half"}, "'mix' is not a number"),
        ("ik", {"bones": "upper"}, "no 'bones' list"),
    ],
)
def test_a_constraint_on_a_missing_bone_or_with_a_bad_value_is_refused(
    kind: str, change: dict[str, object], message: str
) -> None:
    document = ik_arm()
    document[kind][0].update(change)
    with pytest.raises(SkeletonError, match=message):
        read_skeleton(document)
    bad = ik_arm()
    bad["path"] = [{"name": "p", "bones": ["upper"], "target": "no-slot"}]
    with pytest.raises(SkeletonError, match="target slot 'no-slot'"):
        read_skeleton(bad)


def test_two_bone_ik_reaches_a_target_in_reach_and_bends_either_way() -> None:
    elbows = []
    for bend in (True, False):
        world, index = posed(ik_arm(bendPositive=bend))
        np.testing.assert_allclose(tip(world, index["lower"], 40), [50, 50], atol=1e-4)
        upper = world[index["upper"]]
        np.testing.assert_allclose(np.hypot(upper[0, 0], upper[1, 0]), 1.0, atol=1e-12)
        elbow = world[index["lower"], :, 2]
        elbows.append(50 * elbow[1] - 50 * elbow[0])  # side of the shoulder -> target line
    # bendPositive: the lower bone turns counter-clockwise, the elbow is on the right
    assert elbows[0] < 0 < elbows[1]


def test_ik_mix_blends_with_the_unconstrained_rotation() -> None:
    free, index = posed(ik_arm(mix=0))
    data = read_skeleton(ik_arm())
    np.testing.assert_array_equal(free, world_transforms(data.bones))
    full, _ = posed(ik_arm())
    half, _ = posed(ik_arm(mix=0.5))
    angle = [
        math.atan2(w[index["upper"], 1, 0], w[index["upper"], 0, 0]) for w in (free, half, full)
    ]
    assert angle[1] == pytest.approx((angle[0] + angle[2]) / 2, abs=1e-9)


def test_one_bone_ik_points_at_its_target_and_stretch_reaches_it() -> None:
    document = ik_arm()
    document["ik"] = [{"name": "aim", "bones": ["upper"], "target": "target", "stretch": True}]
    document["bones"][4].update(x=90, y=120)  # 150 away: out of the 60-long bone's reach
    world, index = posed(document)
    np.testing.assert_allclose(tip(world, index["upper"], 60), [90, 120], atol=1e-4)
    # the child follows the constrained bone (it is updated after the constraint)
    lower = world[index["lower"]]
    np.testing.assert_allclose(lower[:, 2], world[index["upper"], :, 0] * 60, atol=1e-9)


def test_world_transform_constraint_copies_the_target_and_children_follow() -> None:
    bones = [
        {"name": "follower", "parent": "root", "x": 10, "rotation": 5, "length": 20},
        {"name": "child", "parent": "follower", "x": 20, "rotation": 30},
        {"name": "leader", "parent": "root", "x": -40, "y": 25, "rotation": 60, "scaleX": 2},
    ]
    transform = [{"name": "copy", "bones": ["follower"], "target": "leader"}]
    world, index = posed(skeleton(bones, transform=transform))
    np.testing.assert_allclose(world[index["follower"]], world[index["leader"]], atol=1e-12)
    follower = world[index["follower"]]
    expected_child = follower[:, :2] @ [20, 0] + follower[:, 2]
    np.testing.assert_allclose(world[index["child"], :, 2], expected_child, atol=1e-12)


def test_the_update_order_is_spine_cores() -> None:
    data = read_skeleton(constraint_zoo())
    order = update_order(Pose(data.bones), data.constraints)
    steps = [s for s in order if not isinstance(s, int)]
    assert [s.name for s in steps[:4]] == ["two-ik", "mix-ik", "late-before", "late-ik"]
    # every bone is updated at least once; the constrained child of an IK is not updated
    # again after it (its world matrix is the IK's)
    names = [data.bones[s].name if isinstance(s, int) else s.name for s in order]
    assert {b.name for b in data.bones} <= set(names)
    assert names.index("two-c") < names.index("two-ik") and names.count("two-c") == 1
    assert names.index("two-kid") > names.index("two-ik")


def test_constraints_of_an_order_nobody_reaches_are_not_applied() -> None:
    document = ik_arm(order=5)  # one constraint: only order 0 is looked for
    data = read_skeleton(copy.deepcopy(document))
    world, _ = posed(document)
    np.testing.assert_array_equal(world, world_transforms(data.bones))


def test_bones_follow_a_straight_path_at_their_length_apart() -> None:
    bones = [
        {"name": "holder", "parent": "root", "x": 50, "y": 50, "rotation": 90},
        {"name": "b1", "parent": "root", "x": 300, "length": 30},
        {"name": "b2", "parent": "b1", "x": 30, "length": 30},
    ]
    document = skeleton(bones, path=[{"name": "p", "target": "rail", "bones": ["b1", "b2"]}])
    document["slots"] = [{"name": "rail", "bone": "holder", "attachment": "rail"}]
    straight = [-10, 0, 0, 0, 100 / 3, 0, 200 / 3, 0, 100, 0, 110, 0]  # (0, 0) to (100, 0)
    rail = {"type": "path", "vertexCount": 6, "lengths": [100], "vertices": straight}
    document["skins"][0]["attachments"] = {"rail": {"rail": rail}}
    world, index = posed(document)
    # the holder turns the rail upward from (50, 50); tangent mode: bones point along it
    np.testing.assert_allclose(world[index["b1"], :, 2], [50, 50], atol=1e-9)
    np.testing.assert_allclose(world[index["b2"], :, 2], [50, 80], atol=0.05)
    for name in ("b1", "b2"):
        np.testing.assert_allclose(world[index[name], :, 0], [0, 1], atol=1e-3)
    # a slot showing no path attachment: the constraint does nothing
    document["slots"][0]["attachment"] = None
    still, _ = posed(document)
    np.testing.assert_array_equal(still, world_transforms(read_skeleton(document).bones))
