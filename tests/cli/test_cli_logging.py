"""One log format for every line of a process: SpineLift's loggers, a library that ran
``logging.basicConfig`` first (as Dramatiq's CLI does), Python's warnings."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

SCRIPT = """
import logging, warnings
logging.basicConfig(level=logging.INFO, format="[%(asctime)s] PLAIN %(message)s")
from spinelift.logs import configure_logging
configure_logging("INFO", "{fmt}")
logging.getLogger("dramatiq.MainProcess").info("Dramatiq is booting up.")
logging.getLogger("spinelift.serve").info("data folder: /x", extra={{"data_dir": "/x"}})
logging.getLogger("uvicorn.error").error("address in use")
warnings.warn("something old")
"""


def _lines(fmt: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(fmt=fmt)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return [line for line in done.stderr.splitlines() if line.strip()]


def test_json_every_line_including_other_libraries_and_warnings() -> None:
    records = [json.loads(line) for line in _lines("json")]  # every line is JSON
    loggers = [r["logger"] for r in records]
    assert loggers == ["dramatiq.MainProcess", "spinelift.serve", "uvicorn.error", "py.warnings"]
    assert records[1]["data_dir"] == "/x"


@pytest.mark.parametrize("fmt", ["text", "auto"])  # auto: stderr is a pipe here, so...
def test_text_lines_are_human_and_plain_handlers_are_replaced(fmt: str) -> None:
    lines = _lines(fmt)
    if fmt == "auto":  # ... JSON
        assert all(line.startswith("{") for line in lines), lines
        return
    assert not any("PLAIN" in line for line in lines), lines
    stamp = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
    assert all(re.match(stamp, line) for line in lines), lines
    assert "INFO    spinelift.serve: data folder: /x" in lines[1]
    assert "(data_dir=" not in lines[1]  # the message says it already
