"""Layer names become safe relative paths: for image files, atlas lines and JSON paths."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinelift.spine import (
    AtlasPage,
    AtlasRegion,
    atlas_text,
    is_safe_path,
    safe_path,
    unique_paths,
)
from spinelift.spine.paths import MAX_COMPONENT_BYTES


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("arm", "arm"),
        ("left arm", "left arm"),
        ("body/arm", "body/arm"),
        ("../../etc/passwd", "etc/passwd"),
        ("..", "unnamed"),
        ("/etc/passwd", "etc/passwd"),
        ("C:\\Windows\\system32", "C_/Windows/system32"),
        ("a\\..\\..\\b", "a/b"),
        ("./a/./b/", "a/b"),
        ("<script>alert(1)</script>", "_script_alert(1)_/script_"),
        ('<b>"bold"</b>', "_b__bold__/b_"),
        ("head: big", "head_ big"),
        ("eye\x00\x07left", "eyeleft"),
        ("line\nbreak\ttab", "line break tab"),
        ("  spaced   out  ", "spaced out"),
        ("trailing dots...", "trailing dots"),
        (".hidden", "hidden"),
        ("CON", "CON_"),
        ("nul.txt", "nul_.txt"),
        ("com1", "com1_"),
        ("Ärmel/ひだり手", "Ärmel/ひだり手"),
        ("evil\u202etxt.exe", "eviltxt.exe"),  # right-to-left override removed
        ("", "unnamed"),
        ("///", "unnamed"),
    ],
)
def test_safe_path_examples(name: str, path: str) -> None:
    assert safe_path(name) == path


def test_unicode_is_put_in_nfc_form() -> None:
    decomposed = unicodedata.normalize("NFD", "Ärmel")
    assert safe_path(decomposed) == "Ärmel" and len(safe_path(decomposed)) == 5


def test_zero_width_joiners_are_kept() -> None:
    assert safe_path("a\u200db") == "a\u200db"


def test_long_components_are_cut_on_character_boundaries() -> None:
    path = safe_path("ä" * 500)
    assert len(path.encode("utf-8")) <= MAX_COMPONENT_BYTES and set(path) == {"ä"}


def test_fallback_is_used_for_nothing_left() -> None:
    assert safe_path("..", fallback="layer 3") == "layer 3"
    assert safe_path("..", fallback="../x") == "x"


def test_unique_paths_are_unique_case_insensitively_in_input_order() -> None:
    assert unique_paths(["Arm", "arm", "ARM", "leg"]) == ["Arm", "arm_2", "ARM_3", "leg"]
    assert unique_paths(["a/b", "a\\b", "a/b_2"]) == ["a/b", "a/b_3", "a/b_2"]
    assert unique_paths(["..", ""]) == ["unnamed", "unnamed_2"]


@given(st.text(max_size=80))
def test_safe_path_is_safe_and_idempotent(name: str) -> None:
    path = safe_path(name)
    assert path and not path.startswith("/") and "\\" not in path and ":" not in path
    parts = path.split("/")
    assert all(part and part not in (".", "..") and part == part.strip(" .") for part in parts)
    assert not any(unicodedata.category(c) == "Cc" for c in path)
    assert safe_path(path) == path and is_safe_path(path)


@given(st.lists(st.text(max_size=20), min_size=1, max_size=12))
def test_unique_paths_are_unique_and_safe(names: list[str]) -> None:
    paths = unique_paths(names)
    assert len({p.casefold() for p in paths}) == len(paths) == len(names)
    assert all(is_safe_path(p) for p in paths)


@given(st.lists(st.text(max_size=20), min_size=1, max_size=8))
def test_any_safe_path_is_a_valid_atlas_region_name(names: list[str]) -> None:
    regions = tuple(AtlasRegion(p, 0, i, 1, 1) for i, p in enumerate(unique_paths(names)))
    atlas_text([AtlasPage("p.png", 1, len(regions), regions)])  # raises on a bad name
