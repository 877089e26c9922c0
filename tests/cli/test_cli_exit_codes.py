"""One exit-code table for every command (``spinelift.cli.exit_codes``): commands x
failure kinds, each with its code, its error line on stderr and, with ``--json``, a JSON
error object on stdout. A bad input is one code whether it is missing, empty, truncated
or not the format it claims."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.cli.conftest import write_image

from spinelift.cli.exit_codes import EPILOG, SERVER_EPILOG, ExitCode
from spinelift.cli.main import main
from spinelift.io.psd import write_sample_psd

Capture = pytest.CaptureFixture[str]
Make = Callable[[Path], Path]


def _missing(path: Path) -> Path:
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _garbage(path: Path) -> Path:
    path.write_bytes(b"this is a text file, not an image\n" * 20)
    return path


def _truncated(path: Path) -> Path:
    if path.suffix == ".psd":
        data = write_sample_psd(path.with_name("whole.psd"), scale=0.25).read_bytes()
        path.write_bytes(data[: len(data) // 20])  # the header, then the sections cut
    else:
        data = write_image(path.with_name("whole.png"), 40, 30).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    return path


def _a_folder(path: Path) -> Path:
    path.mkdir()
    return path


BAD_INPUTS = {
    "missing": _missing,
    "empty": _empty,
    "not the format": _garbage,
    "truncated": _truncated,
}
COMMANDS = {
    "convert": ("art.psd", ["-o", "{out}"]),
    "mesh": ("art.png", ["-o", "{out}/x.json"]),
}


def _argv(command: str, source: Path, out: Path, *extra: str) -> list[str]:
    _, rest = COMMANDS[command]
    return [command, str(source), *[a.replace("{out}", str(out)) for a in rest], *extra]


def _error_document(stdout: str) -> dict[str, object]:
    document = json.loads(stdout)
    assert isinstance(document, dict), document
    return document


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("kind", list(BAD_INPUTS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bad_input_is_one_exit_code_whatever_is_wrong(
    command: str, kind: str, as_json: bool, tmp_path: Path, capsys: Capture
) -> None:
    source = BAD_INPUTS[kind](tmp_path / COMMANDS[command][0])
    out = tmp_path / "out"
    code = main(_argv(command, source, out, *(["--json"] if as_json else [])))
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT, captured
    assert "error: " in captured.err and "Traceback" not in captured.err
    assert not (out / "x.json").exists() and not (out / "art.json").exists()
    if as_json:
        document = _error_document(captured.out)
        error = document["error"]
        assert isinstance(error, dict) and error["code"] and error["message"], document
        assert document["exit_code"] == ExitCode.BAD_INPUT
    else:
        assert captured.out == ""


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bad_setting_is_a_bad_input(
    command: str, as_json: bool, tmp_path: Path, capsys: Capture
) -> None:
    source = tmp_path / COMMANDS[command][0]
    if command == "convert":
        write_sample_psd(source, scale=0.25)
    else:
        write_image(source)
    extra = ["--detail-factor", "-3", *(["--json"] if as_json else [])]
    code = main(_argv(command, source, tmp_path / "out", *extra))
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT
    assert "error: INVALID_PARAMETERS: " in captured.err
    if as_json:
        assert _error_document(captured.out)["exit_code"] == ExitCode.BAD_INPUT


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bad_command_line_is_a_bad_input(command: str, as_json: bool, capsys: Capture) -> None:
    code = main([command, "--no-such-flag", *(["--json"] if as_json else [])])
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT
    assert "error: USAGE: " in captured.err
    if as_json:
        document = _error_document(captured.out)
        assert document["exit_code"] == ExitCode.BAD_INPUT
        assert document["error"]["code"] == "USAGE"  # type: ignore[index]


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_output_that_cannot_be_written_is_exit_3(
    command: str, as_json: bool, tmp_path: Path, capsys: Capture
) -> None:
    pytest.importorskip("spinelift.core.pipeline")
    source = tmp_path / COMMANDS[command][0]
    if command == "convert":
        write_sample_psd(source, scale=0.25)
    else:
        write_image(source, 40, 30)
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    out = blocker / "out"  # below a file: cannot be created
    extra = ["--json"] if as_json else []
    if command == "convert":
        extra += ["--workers", "1"]
    code = main(_argv(command, source, out, *extra))
    captured = capsys.readouterr()
    assert code == ExitCode.OUTPUT_FAILED, captured
    assert "error: OUTPUT_WRITE_FAILED: " in captured.err
    if as_json:
        document = _error_document(captured.out)
        assert document["exit_code"] == ExitCode.OUTPUT_FAILED


@pytest.mark.parametrize(
    "command", ["convert", "mesh", "worker", "mesh-service", "serve", "db upgrade"]
)
def test_every_command_refuses_an_unknown_flag_with_exit_2(command: str, capsys: Capture) -> None:
    assert main([*command.split(), "--no-such-flag"]) == ExitCode.BAD_INPUT
    assert "error: USAGE: " in capsys.readouterr().err


def test_the_help_tables_are_written_from_the_table() -> None:
    for code in ExitCode:
        assert f"\n  {int(code):<4} " in EPILOG
    for code in (ExitCode.OK, ExitCode.BAD_INPUT, ExitCode.INTERNAL, ExitCode.UNAVAILABLE):
        assert f"\n  {int(code):<4} " in SERVER_EPILOG
    assert "\n  1 " not in SERVER_EPILOG  # no per-image codes for servers


@pytest.mark.parametrize(
    "command", ["convert", "mesh", "worker", "mesh-service", "serve", "db", "db upgrade"]
)
def test_every_help_reads_as_plain_text_with_real_defaults(command: str, capsys: Capture) -> None:
    assert main([*command.split(), "--help"]) == 0
    text = capsys.readouterr().out
    assert "``" not in text and "MeshSettings" not in text
    assert "[default" not in text  # one way to write defaults: "(default: X)"
    assert "[default: SPINELIFT" not in text and "(default: SPINELIFT" not in text
    if command in ("worker", "mesh-service", "serve"):
        assert "layers or images" not in text  # no per-image exit codes on servers


@pytest.mark.parametrize("command", ["serve", "mesh-service"])
def test_a_server_whose_port_is_taken_exits_5_before_starting_anything(
    command: str, tmp_path: Path
) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "spinelift.cli.main", command, "--port", str(port),
             "--data-dir", str(tmp_path / "data"), "--workers", "0"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr
    assert f"error: NETWORK_ERROR: cannot listen on 127.0.0.1:{port}" in done.stderr
    assert not (tmp_path / "data" / "broker.sock").exists()  # no broker was started


def test_a_closed_output_pipe_stops_quietly_with_exit_130(tmp_path: Path) -> None:
    """`spinelift convert ... | head -1`: the reader has gone, so the command exits 130
    without a traceback or an INTERNAL_ERROR line; what it wrote to disk is complete."""
    import os
    import subprocess
    import sys

    art = write_image(tmp_path / "arm.png", 40, 30)
    read_end, write_end = os.pipe()
    os.close(read_end)  # closed before the command starts: its first print hits EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "spinelift.cli.main", "convert", str(art),
             "-o", str(tmp_path / "out"), "--workers", "1"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode == ExitCode.INTERRUPTED, done.stderr
    assert "Traceback" not in done.stderr and "INTERNAL_ERROR" not in done.stderr, done.stderr
    assert (tmp_path / "out" / "arm.json").is_file()
