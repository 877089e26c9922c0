"""``spinelift mesh``: what it writes, prints and exits with (fake engine unless noted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from spinelift.cli.main import main
from spinelift.cli.settings_flags import HELP
from spinelift.core.settings import HolePolicy, IslandPolicy, MeshSettings
from spinelift.errors import EmptyImageError
from spinelift.io.image import read_image

if TYPE_CHECKING:  # the fixture's type, from this folder's conftest
    from conftest import FakeEngine

MakeImage = Callable[..., Path]
Capture = pytest.CaptureFixture[str]

# the fake engine's mesh of a 6 x 4 image, as Spine reads it
RECT_6X4 = (
    '{"type":"mesh","uvs":[0,0,1,0,1,1,0,1],"triangles":[0,1,2,0,2,3],'
    '"vertices":[-3,2,3,2,3,-2,-3,-2],"hull":4,"edges":[0,2,2,4,4,6,6,0],'
    '"width":6,"height":4}\n'
)


def test_one_image_writes_its_attachment_json(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    image = make_image(tmp_path / "arm.png")
    out = tmp_path / "arm.json"
    assert main(["mesh", str(image), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == RECT_6X4
    line = capsys.readouterr().out.strip()
    assert line.startswith("arm: 4 vertices (4 hull), 2 triangles, overdraw 0.0%, ")
    assert line.endswith(f"ms -> {out}")


def test_one_image_into_an_existing_folder_is_named_after_the_image(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage
) -> None:
    image = make_image(tmp_path / "arm.png")
    (tmp_path / "out").mkdir()
    assert main(["mesh", str(image), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "arm.json").read_text(encoding="utf-8") == RECT_6X4


def test_folders_contribute_their_pngs_sorted(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    for name in ("b", "a", "c"):
        make_image(tmp_path / "in" / f"{name}.png")
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    out = tmp_path / "out"
    assert main(["mesh", str(tmp_path / "in"), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.json", "c.json"]
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["a", "b", "c"]
    assert lines[-1] == "3 of 3 images meshed"


def test_previews_are_written_for_each_image(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage
) -> None:
    images = [make_image(tmp_path / f"{n}.png") for n in ("x", "y")]
    out = tmp_path / "out"
    args = ["mesh", *map(str, images), "-o", str(out), "--preview", str(out)]
    assert main(args) == 0
    for name in ("x", "y"):
        assert (out / f"{name}.json").is_file()
        preview = read_image(out / f"{name}.preview.png")
        assert preview.shape[2] == 4 and preview.shape[0] > 4


def test_single_preview_goes_to_the_given_file(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage
) -> None:
    image = make_image(tmp_path / "x.png")
    preview = tmp_path / "p" / "look.png"
    assert (
        main(["mesh", str(image), "-o", str(tmp_path / "x.json"), "--preview", str(preview)]) == 0
    )
    assert read_image(preview).ndim == 3


def test_json_flag_prints_one_machine_readable_document(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    image = make_image(tmp_path / "x.png")
    assert main(["mesh", str(image), "-o", str(tmp_path / "x.json"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["succeeded"] == 1 and document["failed"] == 0 and document["exit_code"] == 0
    record = document["images"][0]
    assert record["name"] == "x" and record["ok"] is True
    assert (record["vertices"], record["hull_vertices"], record["triangles"]) == (4, 4, 2)
    assert document["settings"] == MeshSettings().to_dict()


def test_every_setting_has_a_flag_with_help() -> None:
    assert {f.name for f in fields(MeshSettings)} <= set(HELP)


def test_flags_override_the_settings_file_which_overrides_defaults(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage
) -> None:
    image = make_image(tmp_path / "x.png")
    settings_file = tmp_path / "s.json"
    settings_file.write_text(json.dumps({"detail_factor": 0.02, "padding": 3}))
    args = [
        "mesh", str(image), "-o", str(tmp_path / "x.json"), "--settings", str(settings_file),
        "--padding", "5", "--island-policy", "largest", "--hole-policy", "fill",
        "--hull-steiner-points", "--min-angle", "20", "--alpha-threshold", "0",
    ]  # fmt: skip
    assert main(args) == 0
    used = engine.calls[0]
    assert used.detail_factor == 0.02 and used.padding == 5 and used.alpha_threshold == 0
    assert used.island_policy is IslandPolicy.LARGEST and used.hole_policy is HolePolicy.FILL
    assert used.hull_steiner_points is True and used.min_angle == 20.0


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (["--alpha-threshold", "999"], "INVALID_PARAMETERS"),
        (["--island-policy", "nope"], "USAGE"),
        (["--detail-factor", "lots"], "USAGE"),
        (["--max-dimension", "0"], "USAGE"),
    ],
)
def test_bad_parameters_exit_2_before_any_work(
    tmp_path: Path,
    engine: FakeEngine,
    make_image: MakeImage,
    capsys: Capture,
    extra: list[str],
    code: str,
) -> None:
    image = make_image(tmp_path / "x.png")
    assert main(["mesh", str(image), "-o", str(tmp_path / "x.json"), *extra]) == 2
    assert f"error: {code}: " in capsys.readouterr().err
    assert not engine.calls and not (tmp_path / "x.json").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [("{nope", "not valid JSON"), ('{"colour": 1}', "unknown"), ("[1]", "JSON object")],
)
def test_bad_settings_files_exit_2(
    tmp_path: Path,
    engine: FakeEngine,
    make_image: MakeImage,
    capsys: Capture,
    content: str,
    message: str,
) -> None:
    image = make_image(tmp_path / "x.png")
    (tmp_path / "s.json").write_text(content)
    args = [
        "mesh",
        str(image),
        "-o",
        str(tmp_path / "x.json"),
        "--settings",
        str(tmp_path / "s.json"),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "error: INVALID_PARAMETERS: " in err and message in err


def test_missing_settings_file_exits_2(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    image = make_image(tmp_path / "x.png")
    args = ["mesh", str(image), "-o", str(tmp_path / "x.json"), "--settings", str(tmp_path / "no")]
    assert main(args) == 2
    assert "cannot read settings file" in capsys.readouterr().err


def test_bad_inputs_exit_2(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    out = str(tmp_path / "out")
    assert main(["mesh", str(tmp_path / "missing.png"), "-o", out]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["mesh", str(tmp_path / "empty"), "-o", out]) == 2
    one = make_image(tmp_path / "a" / "x.png")
    two = make_image(tmp_path / "b" / "x.png")
    assert main(["mesh", str(one), str(two), "-o", out]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "no .png images" in err and "would both write" in err
    assert not engine.calls and not Path(out).exists()


def test_a_failing_image_is_reported_and_the_others_still_written(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    good = make_image(tmp_path / "in" / "good.png")
    (tmp_path / "in" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    out = tmp_path / "out"
    assert main(["mesh", str(tmp_path / "in"), "-o", str(out)]) == 2  # a bad input
    captured = capsys.readouterr()
    assert "error: IMAGE_LOAD_FAILED: bad: " in captured.err
    assert "Traceback" not in captured.err
    assert (out / "good.json").is_file() and not (out / "bad.json").exists()
    assert good.exists()
    assert captured.out.splitlines()[-1] == "1 of 2 images meshed"


def test_engine_errors_keep_their_code(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    engine.fail_with = EmptyImageError("no pixel is above the alpha threshold")
    image = make_image(tmp_path / "x.png")
    assert main(["mesh", str(image), "-o", str(tmp_path / "x.json"), "--json"]) == 1
    captured = capsys.readouterr()
    assert "error: NO_OPAQUE_PIXELS: x: no pixel" in captured.err
    record = json.loads(captured.out)["images"][0]
    assert record["ok"] is False and record["error"]["code"] == "NO_OPAQUE_PIXELS"


def test_too_large_images_are_refused(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    image = make_image(tmp_path / "x.png")
    argv = ["mesh", str(image), "-o", str(tmp_path / "x.json"), "--max-dimension", "5"]
    assert main(argv) == 2  # an image over the limit is a bad input
    assert "error: IMAGE_TOO_LARGE: x: " in capsys.readouterr().err


def test_a_bug_in_the_engine_is_one_line_and_exit_4(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    engine.fail_with = RuntimeError("boom")
    image = make_image(tmp_path / "x.png")
    assert main(["mesh", str(image), "-o", str(tmp_path / "x.json")]) == 4
    err = capsys.readouterr().err
    assert "error: INTERNAL_ERROR: x: RuntimeError: boom" in err and "Traceback" not in err


def test_unwritable_output_exits_3(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    image = make_image(tmp_path / "x.png")
    (tmp_path / "file").write_text("in the way")
    assert main(["mesh", str(image), "-o", str(tmp_path / "file" / "x.json")]) == 3
    assert "error: OUTPUT_WRITE_FAILED: x: cannot write" in capsys.readouterr().err


def test_several_images_need_a_folder_not_a_file(
    tmp_path: Path, engine: FakeEngine, make_image: MakeImage, capsys: Capture
) -> None:
    images = [str(make_image(tmp_path / f"{n}.png")) for n in ("x", "y")]
    (tmp_path / "file").write_text("in the way")
    assert main(["mesh", *images, "-o", str(tmp_path / "file")]) == 2
    assert "must be a folder" in capsys.readouterr().err


def test_real_engine_end_to_end(tmp_path: Path, capsys: Capture) -> None:
    pytest.importorskip("spinelift.core.pipeline")
    from PIL import Image

    yy, xx = np.mgrid[0:64, 0:80]
    disc = ((xx - 40) ** 2 + (yy - 32) ** 2) < 25**2
    pixels = np.zeros((64, 80, 4), dtype=np.uint8)
    pixels[disc] = (250, 200, 40, 255)
    Image.fromarray(pixels).save(tmp_path / "disc.png")
    out = tmp_path / "disc.json"
    args = [
        "mesh",
        str(tmp_path / "disc.png"),
        "-o",
        str(out),
        "--preview",
        str(tmp_path / "p.png"),
    ]
    assert main(args) == 0
    att = json.loads(out.read_text(encoding="utf-8"))
    n = len(att["uvs"]) // 2
    assert att["type"] == "mesh" and 3 <= att["hull"] <= n
    assert len(att["vertices"]) == 2 * n and (att["width"], att["height"]) == (80, 64)
    assert all(0 <= u <= 1 for u in att["uvs"])
    assert max(att["triangles"]) < n and max(att["edges"]) < 2 * n
    assert read_image(tmp_path / "p.png").shape[2] == 4
    again = tmp_path / "again.json"
    assert main(["mesh", str(tmp_path / "disc.png"), "-o", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()  # deterministic
    assert "disc: " in capsys.readouterr().out
