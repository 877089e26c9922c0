"""``spinelift rig``: what it writes, prints and refuses (real engine, sample skeleton)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tests.spine.rig_samples import IMAGES, arm_skeleton, rgba, write_images

from spinelift.cli.main import main
from spinelift.io.atlas_read import read_atlas
from spinelift.spine.skeleton_data import read_skeleton

Capture = pytest.CaptureFixture[str]


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """tmp_path with arm.json and images/ (see tests.spine.rig_samples)."""
    write_images(tmp_path / "images")
    (tmp_path / "arm.json").write_text(json.dumps(arm_skeleton()), encoding="utf-8")
    return tmp_path


def rig(folder: Path, *extra: str, skeleton: str = "arm.json") -> int:
    return main(
        [
            "rig",
            str(folder / skeleton),
            "--images",
            str(folder / "images"),
            "-o",
            str(folder / "out.json"),
            *extra,
        ]
    )


def weighted_rows(attachment: dict[str, Any]) -> list[list[tuple[int, float]]]:
    values, rows, i = attachment["vertices"], [], 0
    for _ in range(len(attachment["uvs"]) // 2):
        count = values[i]
        rows.append([(values[i + 1 + 4 * k], values[i + 4 + 4 * k]) for k in range(count)])
        i += 1 + 4 * count
    assert i == len(values)
    return rows


def test_every_region_and_flat_mesh_becomes_a_weighted_mesh(sample: Path, capsys: Capture) -> None:
    assert rig(sample) == 0
    out = json.loads((sample / "out.json").read_text(encoding="utf-8"))
    original = arm_skeleton()
    bones = [b["name"] for b in out["bones"]]
    for key in ("skeleton", "bones", "slots"):
        assert out[key] == original[key]  # everything else untouched
    assert out["animations"]["wave"]["bones"] == original["animations"]["wave"]["bones"]
    default, alt = out["skins"]
    for attachment in (default["attachments"]["arm"]["arm"], alt["attachments"]["arm"]["arm"]):
        assert attachment["type"] == "mesh"
        rows = weighted_rows(attachment)
        assert all(abs(sum(w for _, w in row) - 1.0) < 1e-9 for row in rows)
        assert all(1 <= len(row) <= 4 for row in rows)
        used = {bones[b] for row in rows for b, _ in row}
        assert {"upper", "lower"} <= used <= {"upper", "lower", "knob"}
    assert alt["attachments"]["arm"]["arm"]["path"] == "arm-alt"
    # nothing crosses the badge: it follows its slot's bone alone
    assert {
        b for row in weighted_rows(default["attachments"]["badge"]["badge"]) for b, _ in row
    } == {0}
    # linked meshes follow their (now weighted) parent; the bone scaled to 0 keeps its region
    assert alt["attachments"]["flag"]["flag"] == original["skins"][1]["attachments"]["flag"]["flag"]
    assert (
        default["attachments"]["ghost"]["ghost"]
        == original["skins"][0]["attachments"]["ghost"]["ghost"]
    )
    printed = capsys.readouterr().out
    assert "default/arm/arm" in printed and "upper, lower" in printed
    assert "deform timeline dropped" not in printed  # the flat flag's keys followed it
    flag = default["attachments"]["flag"]["flag"]
    (key,) = out["animations"]["wave"]["attachments"]["default"]["flag"]["flag"]["deform"]
    assert key["time"] == 0.5
    assert len(key["vertices"]) == 2 * sum(len(row) for row in weighted_rows(flag))
    assert "bone is scaled to 0" in printed
    read_skeleton(out)  # still a skeleton we read


def test_max_bones_per_vertex_and_named_bones(sample: Path) -> None:
    assert rig(sample, "--max-bones-per-vertex", "1", "--bones", "arm/arm=upper") == 0
    out = json.loads((sample / "out.json").read_text(encoding="utf-8"))
    rows = weighted_rows(out["skins"][0]["attachments"]["arm"]["arm"])
    assert all(len(row) == 1 and row[0] == (1, 1) for row in rows)
    (sample / "bones.txt").write_text(
        "# artist's choice\ndefault/arm/arm=lower\nalt/flag/flag=lower\n", encoding="utf-8"
    )
    assert rig(sample, "--bones-file", str(sample / "bones.txt")) == 0
    out = json.loads((sample / "out.json").read_text(encoding="utf-8"))
    used = {
        b for row in weighted_rows(out["skins"][0]["attachments"]["arm"]["arm"]) for b, _ in row
    }
    assert used == {1, 2}  # the slot's bone is always offered


def test_already_weighted_meshes_are_kept_unless_reweight(sample: Path, capsys: Capture) -> None:
    assert rig(sample) == 0
    once = (sample / "out.json").read_text(encoding="utf-8")
    (sample / "once.json").write_text(once, encoding="utf-8")
    assert rig(sample, skeleton="once.json") == 0
    assert json.loads((sample / "out.json").read_text(encoding="utf-8")) == json.loads(once)
    assert "already weighted" in capsys.readouterr().out
    assert rig(sample, "--reweight", skeleton="once.json") == 0
    printed = capsys.readouterr().out
    assert "deform timeline dropped: animation 'wave', attachment default/flag/flag" in printed
    again = json.loads((sample / "out.json").read_text(encoding="utf-8"))
    arm = again["skins"][0]["attachments"]["arm"]["arm"]
    assert len(arm["vertices"]) > len(arm["uvs"])  # rebound, still weighted


def test_json_summary_and_preview(sample: Path, capsys: Capture) -> None:
    assert rig(sample, "--json", "--preview", str(sample / "previews")) == 0
    summary = json.loads(capsys.readouterr().out)
    rows = {row["attachment"]: row for row in summary["attachments"]}
    assert (
        rows["default/arm/arm"]["status"] == "weighted" and rows["default/arm/arm"]["vertices"] > 8
    )
    assert rows["default/ghost/ghost"]["status"] == "kept"
    assert len(summary["previews"]) == 4 and all(Path(p).is_file() for p in summary["previews"])
    assert rig(sample, "--preview", str(sample / "sheet.png")) == 0
    assert Image.open(sample / "sheet.png").size[0] > 300


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda d: d["bones"][1].update(parent="lower"), "BONE_HIERARCHY_INVALID"),
        (lambda d: d["bones"][2].update(parent="nobody"), "BONE_HIERARCHY_INVALID"),
        (lambda d: d["skeleton"].update(spine="3.8.99"), "UNSUPPORTED_SKELETON"),
        (lambda d: d.pop("bones"), "SKELETON_INVALID"),
    ],
)
def test_bad_skeletons_are_refused_and_nothing_is_written(
    sample: Path, capsys: Capture, change: Any, code: str
) -> None:
    document = arm_skeleton()
    change(document)
    (sample / "bad.json").write_text(json.dumps(document), encoding="utf-8")
    assert rig(sample, skeleton="bad.json") != 0
    assert f"error: {code}:" in capsys.readouterr().err
    assert not (sample / "out.json").exists()


def test_not_json_and_missing_image_are_refused(sample: Path, capsys: Capture) -> None:
    (sample / "text.json").write_text("hello", encoding="utf-8")
    assert rig(sample, skeleton="text.json") != 0
    assert "error: SKELETON_INVALID:" in capsys.readouterr().err
    (sample / "images" / "badge.png").unlink()
    assert rig(sample) != 0
    err = capsys.readouterr().err
    assert "error: IMAGE_NOT_FOUND:" in err and "default/badge/badge" in err and "badge.png" in err
    assert not (sample / "out.json").exists()


def test_bad_bone_choices_are_usage_errors(sample: Path, capsys: Capture) -> None:
    assert rig(sample, "--bones", "arm/arm=nobody") == 2
    assert "unknown bone" in capsys.readouterr().err
    assert rig(sample, "--bones", "nothing=upper") == 2
    assert rig(sample, "--bones", "no-equals-sign") == 2
    assert not (sample / "out.json").exists()


def test_images_from_an_atlas_with_rotated_and_trimmed_regions(sample: Path) -> None:
    # a page holding "arm" rotated 90 degrees and trimmed by its 2 px transparent border,
    # and every other image as is
    page = Image.new("RGBA", (512, 256), (0, 0, 0, 0))
    arm = rgba(*IMAGES["arm"])[2:-2, 2:-2]  # trimmed: 216 x 36, offsets 2, 2
    page.paste(Image.fromarray(arm.copy(), "RGBA").rotate(90, expand=True), (0, 0))
    lines = [
        "page.png",
        "size: 512,256",
        "filter: Linear,Linear",
        "arm",
        "bounds: 0,0,216,36",
        "offsets: 2,2,220,40",
        "rotate: 90",
    ]
    x = 40
    for name, (w, h) in IMAGES.items():
        if name == "arm":
            continue
        page.paste(Image.fromarray(rgba(w, h), "RGBA"), (x, 0))
        lines += [name, f"bounds: {x},0,{w},{h}"]
        x += w + 2
    page.save(sample / "page.png")
    (sample / "arm.atlas").write_text("\n".join(lines) + "\n", encoding="utf-8")
    atlas = read_atlas(sample / "arm.atlas")
    assert (atlas.image("arm") == rgba(*IMAGES["arm"])).all()  # upright, original size
    code = main(
        [
            "rig",
            str(sample / "arm.json"),
            "--atlas",
            str(sample / "arm.atlas"),
            "-o",
            str(sample / "a.json"),
        ]
    )
    assert code == 0
    assert rig(sample) == 0
    from_atlas = json.loads((sample / "a.json").read_text(encoding="utf-8"))
    from_folder = json.loads((sample / "out.json").read_text(encoding="utf-8"))
    assert from_atlas == from_folder
