"""``spinelift convert``: the main job, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spinelift.cli.main import main
from spinelift.io.psd import write_sample_psd


@pytest.fixture(scope="module")
def sample_psd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_psd(tmp_path_factory.mktemp("art") / "hero.psd", scale=0.5)


def test_convert_writes_a_project_and_a_table(
    sample_psd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["convert", str(sample_psd), "-o", str(tmp_path / "out"), "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "hero.json", "hero.atlas", "hero.png", "preview.png",
    }  # fmt: skip
    assert "13 of 13 layers exported" in out
    for column in ("attachment", "slot", "vertices", "hull", "triangles", "overdraw", "ms"):
        assert column in out
    assert "face/eyes" in out


def test_convert_json_report_and_flags(
    sample_psd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([
        "convert", str(sample_psd), "-o", str(tmp_path / "p.zip"), "--json", "--workers", "1",
        "--detail-factor", "0.02", "--layer", "torso:detail_factor=0.001",
        "--spine-version", "4.1", "--origin", "center", "--no-preview",
    ])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["files"] == ["hero.atlas", "hero.json", "hero.png"]
    layers = {layer["attachment"]: layer for layer in report["layers"]}
    assert layers["torso"]["hull_vertices"] > layers["leg_left"]["hull_vertices"]
    assert all(layer["error"] is None for layer in report["layers"])


def test_convert_a_folder_of_pngs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    art = tmp_path / "art"
    art.mkdir()
    for i, name in enumerate(("body", "hat [folder:props]")):
        rgba = np.zeros((40, 30, 4), dtype=np.uint8)
        rgba[5 + i * 20 : 15 + i * 20, 5:25] = (200, 50, 50, 255)
        Image.fromarray(rgba, "RGBA").save(art / f"{name}.png")
    code = main(["convert", str(art), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert code == 0
    skeleton = json.loads((tmp_path / "out" / "art.json").read_text())
    assert [s["name"] for s in skeleton["slots"]] == ["body", "hat"]
    assert "props/hat" in skeleton["skins"][0]["attachments"]["hat"]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["convert", "nope.psd", "-o", "out"], 2, "no such file"),
        (["convert", "{psd}", "-o", "out", "--detail-factor", "9"], 2, "INVALID_PARAMETERS"),
        (["convert", "{psd}", "-o", "out", "--layer", "oops"], 2, "NAME:KEY=VALUE"),
        (["convert", "{psd}", "-o", "out", "--spine-version", "3.8"], 2, "invalid choice"),
    ],
)
def test_convert_refuses_bad_input_clearly(
    argv: list[str], code: int, message: str, sample_psd: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main([a.replace("{psd}", str(sample_psd)) for a in argv]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_convert_refuses_a_corrupt_psd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.psd"
    bad.write_bytes(b"8BPS" + b"\x00" * 20)
    assert main(["convert", str(bad), "-o", str(tmp_path / "out")]) == 2  # a bad input
    err = capsys.readouterr().err
    assert err.startswith("error: DOCUMENT_INVALID: bad.psd is not a PSD file")
    assert not (tmp_path / "out").exists()


def test_the_summary_counts_every_layer_and_a_flat_psd_reads_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from psd_tools import PSDImage

    mixed = PSDImage.new("RGBA", (64, 48))
    mixed.create_pixel_layer(Image.new("RGBA", (64, 48), (0, 0, 0, 0)), name="blank")
    solid = Image.new("RGBA", (20, 10), (200, 40, 40, 255))
    mixed.create_pixel_layer(solid, name="block", top=5, left=5)
    mixed.save(tmp_path / "mixed.psd")
    assert (
        main(["convert", str(tmp_path / "mixed.psd"), "-o", str(tmp_path / "m"), "--workers", "1"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("skipped: blank: ") for line in lines), lines
    assert lines[-1].startswith("1 of 2 layers exported, 1 skipped: "), lines[-1]

    PSDImage.new("RGB", (32, 32), color=(255, 255, 255)).save(tmp_path / "flat.psd")
    assert (
        main(["convert", str(tmp_path / "flat.psd"), "-o", str(tmp_path / "f"), "--workers", "1"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert not any(line.startswith("skipped:") for line in lines), lines
    assert any(line.startswith("note: the file has no layers") for line in lines), lines
    assert lines[-1].startswith("1 of 1 layer exported: "), lines[-1]
