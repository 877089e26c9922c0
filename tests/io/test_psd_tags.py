"""PhotoshopToSpine [tags] in layer and group names: parsing and inheritance."""

from __future__ import annotations

import pytest

from spinelift.io.document import LayerTags
from spinelift.io.psd.tags import (
    attachment_name,
    clean_name,
    effective_tags,
    folder_path,
    parse_name,
)


def test_a_name_without_tags_is_kept_as_text() -> None:
    parsed = parse_name("  left arm / sleeve ")
    assert parsed.name == "left arm / sleeve"
    assert parsed.tags == LayerTags()
    assert parsed.problems == ()


def test_tags_anywhere_are_removed_and_the_name_trimmed() -> None:
    assert clean_name("[slot] head [bone:neck]") == "head"
    assert clean_name("eye.png") == "eye"


@pytest.mark.parametrize(
    ("raw", "field", "value"),
    [
        ("arm [bone]", "bone", "arm"),
        ("arm [bone:upper arm]", "bone", "upper arm"),
        ("arm [BONE: Upper ]", "bone", "Upper"),
        ("x [slot]", "slot", "x"),
        ("x [slot:face]", "slot", "face"),
        ("red [skin]", "skin", "red"),
        ("red [skin:a/red]", "skin", "a/red"),
        ("parts [folder]", "folder", "parts"),
        ("parts [folder:/top]", "folder", "/top"),
        ("x [scale:0.5]", "scale", 0.5),
        ("x [pad:3]", "pad", 3),
        ("x [ignore]", "ignore", True),
        ("g [merge]", "merge", True),
        ("x [overlay]", "overlay", True),
        ("x [trim]", "trim", "ws"),
        ("x [trim:true]", "trim", "ws"),
        ("x [trim:ws]", "trim", "ws"),
        ("x [trim:false]", "trim", "canvas"),
        ("x [trim:canvas]", "trim", "canvas"),
        ("x [trim:mask]", "trim", "mask"),
        ("g [bones]", "bones", True),
        ("g [slots]", "slots", True),
        ("x [origin]", "origin", True),
        ("x [!bones] [!name]", "escapes", ("bones", "name")),
        ("x [path:arm_img]", "path", "arm_img"),
        ("g [name:left_*]", "name_pattern", "left_*"),
    ],
)
def test_each_known_tag_sets_its_field(raw: str, field: str, value: object) -> None:
    parsed = parse_name(raw)
    assert getattr(parsed.tags, field) == value
    assert parsed.problems == ()


def test_mesh_and_linked_mesh() -> None:
    assert parse_name("a [mesh]").tags.mesh is True
    assert parse_name("a [mesh]").tags.linked_mesh is None
    linked = parse_name("b [mesh:a]").tags
    assert (linked.mesh, linked.linked_mesh) == (True, "a")


def test_unknown_tags_go_to_overrides_and_the_first_occurrence_wins() -> None:
    tags = parse_name("x [detail:0.7] [Smooth] [bone:a] [bone:b]").tags
    assert tags.overrides == {"detail": "0.7", "smooth": ""}
    assert tags.bone == "a"


@pytest.mark.parametrize(
    "raw", ["x [scale:abc]", "x [scale:-1]", "x [pad:two]", "x [path]", "g [name:x]"]
)
def test_invalid_values_are_reported_not_applied(raw: str) -> None:
    parsed = parse_name(raw)
    assert len(parsed.problems) == 1
    assert raw in parsed.problems[0]


def test_nearest_carrier_wins_and_ignore_is_inherited() -> None:
    outer = parse_name("body [bone:body] [scale:0.5]").tags
    inner = parse_name("arm [bone]").tags
    own = parse_name("hand").tags
    tags = effective_tags([outer, inner], own)
    assert tags.bone == "arm"
    assert tags.scale == 0.5
    assert effective_tags([parse_name("g [ignore]").tags], own).ignore


def test_folders_nest_and_a_leading_slash_is_absolute() -> None:
    chain = [parse_name("a [folder]").tags, parse_name("b [folder:bee]").tags]
    assert folder_path(chain) == "a/bee"
    absolute = [parse_name("a [folder]").tags, parse_name("b [folder:/root]").tags]
    assert folder_path(absolute) == "root"
    assert folder_path([parse_name("d [skin:default]").tags]) == ""


def test_skins_are_folders_and_are_prefixed_by_the_folders_above() -> None:
    chain = [parse_name("chars [folder]").tags, parse_name("red [skin]").tags]
    tags = effective_tags(chain, parse_name("hat").tags)
    assert tags.skin == "chars/red"
    assert tags.folder == "chars/red"


def test_attachment_names_apply_patterns_then_folders() -> None:
    groups = [parse_name("parts [folder]").tags, parse_name("L [name:left_*]").tags]
    assert attachment_name("arm", groups, LayerTags()) == "parts/left_arm"
    # as in the script, the pattern applies first, so only an unpatterned "/" is absolute
    assert attachment_name("/arm", groups[:1], LayerTags()) == "arm"


def test_skin_wins_over_folder_on_the_same_group() -> None:
    """The editor: "If a layer or group contains both the [skin] tag and the [folder]
    tag, precedence will be given to the [skin] tag"."""
    both = parse_name("g [folder:props] [skin:red]").tags
    assert folder_path([both]) == "red"
    assert folder_path([parse_name("g [folder:props]").tags]) == "props"  # control
