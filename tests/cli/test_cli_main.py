"""``spinelift`` itself: version, help, usage errors, and the installed console script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spinelift import __version__
from spinelift.cli.main import main

Capture = pytest.CaptureFixture[str]


def test_version(capsys: Capture) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"spinelift {__version__}"


def test_help_lists_the_exit_codes(capsys: Capture) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "mesh" in text and "exit codes:" in text
    for code in ("0", "1", "2", "3", "4", "130"):
        assert f"\n  {code} " in text


def test_mesh_help_lists_every_setting_flag(capsys: Capture) -> None:
    assert main(["mesh", "--help"]) == 0
    text = capsys.readouterr().out
    for flag in ("--detail-factor", "--island-policy", "--hole-policy", "--hull-steiner-points"):
        assert flag in text
    assert "exit codes:" in text


def test_no_command_is_a_usage_error(capsys: Capture) -> None:
    assert main([]) == 2
    assert "mesh" in capsys.readouterr().err


def test_unknown_command_reads_like_every_other_error(capsys: Capture) -> None:
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "error: USAGE: " in err and "Traceback" not in err


def test_missing_output_is_a_usage_error(tmp_path: Path, capsys: Capture) -> None:
    assert main(["mesh", str(tmp_path)]) == 2
    assert "error: USAGE: " in capsys.readouterr().err


def _script() -> str:
    found = Path(sys.executable).with_name("spinelift")
    if found.exists():
        return str(found)
    on_path = shutil.which("spinelift")
    if on_path is None:
        pytest.skip("the spinelift console script is not installed (pip install -e .)")
    return on_path


def test_console_script_version() -> None:
    done = subprocess.run([_script(), "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == f"spinelift {__version__}"


def test_console_script_meshes_and_fails_cleanly(tmp_path: Path) -> None:
    pytest.importorskip("spinelift.core.pipeline")
    pixels = np.zeros((30, 40, 4), dtype=np.uint8)
    pixels[5:25, 8:30] = (10, 200, 90, 255)
    Image.fromarray(pixels).save(tmp_path / "block.png")
    (tmp_path / "junk.png").write_bytes(b"junk")
    done = subprocess.run(
        [_script(), "mesh", str(tmp_path), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2  # junk.png is a bad input; block.png was still meshed
    assert (tmp_path / "out" / "block.json").is_file()
    assert not (tmp_path / "out" / "junk.json").exists()
    assert "error: IMAGE_LOAD_FAILED: junk: " in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith("block: ")
