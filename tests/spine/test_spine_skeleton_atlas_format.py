"""The atlas text reads back as the Spine 4.x runtimes read it.

:func:`read_atlas` follows spine-ts ``TextureAtlas.ts`` line by line (it is a reading of
those rules, not a copy): header lines before the first page are skipped; a page is a
name line then ``key: value`` lines; the first line without a colon is a region name,
then its fields; an empty line ends the page; ``readEntry`` splits the value at commas
(at most 4) and trims each part.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from spinelift.spine import AtlasPage, AtlasRegion, atlas_text


def _entry(line: str | None) -> list[str]:
    """``readEntry``: [] for no entry, else [key, values...] (at most 4 values)."""
    if line is None or not line.strip() or ":" not in line:
        return []
    line = line.strip()
    key, rest = line.split(":", 1)
    parts = [p.strip() for p in rest.split(",", 3)]
    return [key.strip(), *parts]


def read_atlas(text: str) -> list[dict[str, Any]]:
    """The pages and regions the runtimes would read from ``text``."""
    lines = re.split(r"\r\n|\r|\n", text)
    index = 0

    def read_line() -> str | None:
        nonlocal index
        if index >= len(lines):
            return None
        index += 1
        return lines[index - 1]

    pages: list[dict[str, Any]] = []
    page: dict[str, Any] | None = None
    line = read_line()
    while line is not None and not line.strip():
        line = read_line()
    while line is not None and line.strip() and _entry(line):  # header fields: ignored
        line = read_line()
    while line is not None:
        if not line.strip():
            page = None
            line = read_line()
        elif page is None:
            page = {"name": line.strip(), "regions": [], "pma": False, "filter": None}
            while entry := _entry(line := read_line()):
                if entry[0] == "size":
                    page["width"], page["height"] = int(entry[1]), int(entry[2])
                elif entry[0] == "filter":
                    page["filter"] = (entry[1], entry[2])
                elif entry[0] == "pma":
                    page["pma"] = entry[1] == "true"
            pages.append(page)
        else:
            region: dict[str, Any] = {"name": line, "degrees": 0, "offsets": None}
            while entry := _entry(line := read_line()):
                if entry[0] == "bounds":
                    region["bounds"] = tuple(int(v) for v in entry[1:5])
                elif entry[0] == "offsets":
                    region["offsets"] = tuple(int(v) for v in entry[1:5])
                elif entry[0] == "rotate":
                    region["degrees"] = 90 if entry[1] == "true" else int(entry[1])
            x, y, w, h = region["bounds"]
            region["uv"] = (
                x / page["width"], y / page["height"],
                (x + w) / page["width"], (y + h) / page["height"],
            )  # fmt: skip
            page["regions"].append(region)
    return pages


PAGES = [
    AtlasPage(
        "hero.png",
        64,
        32,
        (AtlasRegion("head", 2, 2, 20, 10), AtlasRegion("arm/left", 24, 2, 8, 28)),
    ),
    AtlasPage("hero_2.png", 16, 16, (AtlasRegion("ひだり手", 2, 2, 12, 12),), pma=True),
]


def test_the_text_looks_like_spines_packer_output() -> None:
    assert atlas_text(PAGES) == (
        "hero.png\n\tsize: 64, 32\n\tfilter: Linear, Linear\n"
        "head\n\tbounds: 2, 2, 20, 10\n"
        "arm/left\n\tbounds: 24, 2, 8, 28\n"
        "\n"
        "hero_2.png\n\tsize: 16, 16\n\tfilter: Linear, Linear\n\tpma: true\n"
        "ひだり手\n\tbounds: 2, 2, 12, 12\n"
    )


def test_it_reads_back_as_the_runtime_reads_it() -> None:
    pages = read_atlas(atlas_text(PAGES))
    assert [p["name"] for p in pages] == ["hero.png", "hero_2.png"]
    assert [(p["width"], p["height"], p["pma"], p["filter"]) for p in pages] == [
        (64, 32, False, ("Linear", "Linear")),
        (16, 16, True, ("Linear", "Linear")),
    ]
    regions = {r["name"]: r for p in pages for r in p["regions"]}
    assert list(regions) == ["head", "arm/left", "ひだり手"]
    assert regions["head"]["bounds"] == (2, 2, 20, 10)
    assert regions["head"]["uv"] == (2 / 64, 2 / 32, 22 / 64, 12 / 32)
    assert all(r["degrees"] == 0 and r["offsets"] is None for r in regions.values())


def test_the_reader_follows_the_runtime_rules_on_spines_own_sample() -> None:
    # the shape of examples/spineboy/export/spineboy-run.atlas in spine-runtimes
    sample = "run.png\n\tsize: 100, 50\n\tfilter: Linear, Linear\n\tpma: true\nrun\n\tindex: 8\n"
    sample += "\tbounds: 2, 3, 30, 40\n\toffsets: 1, 2, 40, 50\n\trotate: 90\n"
    (page,) = read_atlas(sample)
    (region,) = page["regions"]
    assert region["bounds"] == (2, 3, 30, 40) and region["degrees"] == 90 and page["pma"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a:b", "contains ':'"),
        ("", "is empty"),
        (" a", "blanks"),
        ("a\nb", "line break"),
    ],
)
def test_names_the_reader_would_misread_are_refused(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        atlas_text([AtlasPage("p.png", 8, 8, (AtlasRegion(name, 0, 0, 1, 1),))])


def test_a_colon_in_a_region_name_really_would_be_lost() -> None:
    # why ':' is refused: the runtime takes the line for a field of the previous entry
    text = "p.png\n\tsize: 8, 8\nhead\n\tbounds: 0, 0, 1, 1\nx: y\n\tbounds: 1, 1, 1, 1\n"
    assert [r["name"] for r in read_atlas(text)[0]["regions"]] == ["head"]


def test_duplicates_bad_bounds_and_filters_are_refused() -> None:
    region = AtlasRegion("a", 0, 0, 4, 4)
    with pytest.raises(ValueError, match="two atlas regions"):
        atlas_text([AtlasPage("p.png", 8, 8, (region,)), AtlasPage("q.png", 8, 8, (region,))])
    with pytest.raises(ValueError, match="two atlas pages"):
        atlas_text([AtlasPage("p.png", 8, 8, ()), AtlasPage("p.png", 8, 8, ())])
    with pytest.raises(ValueError, match="inside page"):
        atlas_text([AtlasPage("p.png", 8, 8, (AtlasRegion("a", 6, 0, 4, 4),))])
    with pytest.raises(ValueError, match="is empty"):
        atlas_text([AtlasPage("p.png", 8, 8, (AtlasRegion("a", 0, 0, 0, 4),))])
    with pytest.raises(ValueError, match="filter"):
        atlas_text([AtlasPage("p.png", 8, 8, (), min_filter="Bilinear")])
    with pytest.raises(ValueError, match="at least one page"):
        atlas_text([])
