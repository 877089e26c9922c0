"""What ``spinelift`` imports: help and the CLI's own commands stay clear of heavy modules.

Checked in a fresh interpreter through ``sys.modules`` (deterministic; nothing is
timed): ``--help`` and ``convert --help`` load no numpy, image, PSD, compositing or web
module, and a ``convert`` of a PSD whose layers are plain pixels never loads
psd-tools' compositor (nor scipy behind it) or the web/service stack.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from spinelift.cli.main import COMMANDS, build_parser

WEB_STACK = ("fastapi", "starlette", "sqlalchemy", "alembic", "dramatiq", "redis", "httpx")
COMPOSITOR = ("psd_tools.composite", "scipy")
HELP_HEAVY = (*WEB_STACK, *COMPOSITOR, "pydantic", "psd_tools", "PIL", "cv2", "triangle", "numpy")


def _loaded_after(code: str, watch: tuple[str, ...]) -> list[str]:
    """Run ``code`` in a new interpreter; the modules of ``watch`` it left loaded."""
    probe = (
        "import sys, json\n"
        + code
        + f"\nprint(json.dumps([m for m in {list(watch)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    ("argv", "heavy"),
    [
        (["--help"], HELP_HEAVY),
        (["convert", "--help"], HELP_HEAVY),
        (["mesh", "--help"], (*WEB_STACK, *COMPOSITOR, "pydantic", "psd_tools")),
    ],
)
def test_help_imports_nothing_heavy(argv: list[str], heavy: tuple[str, ...]) -> None:
    code = (
        "import contextlib, io\n"
        "from spinelift.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({argv!r}) == 0\n"
    )
    assert _loaded_after(code, heavy) == []


def test_top_level_help_imports_no_command_module() -> None:
    modules = (*(f"spinelift.cli.{c.module}" for c in COMMANDS), "numpy")
    code = (
        "import contextlib, io\n"
        "from spinelift.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['--help']) == 0\n"
    )
    assert _loaded_after(code, modules) == []


def test_convert_of_plain_layers_loads_no_compositor_or_web_stack(tmp_path: Path) -> None:
    from spinelift.io.psd import write_sample_psd

    psd = write_sample_psd(tmp_path / "sample.psd")
    out = tmp_path / "out"
    code = (
        "import contextlib, io\n"
        "from spinelift.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['convert', {str(psd)!r}, '-o', {str(out)!r}, '--json']) == 0\n"
    )
    assert _loaded_after(code, (*WEB_STACK, *COMPOSITOR, "pydantic")) == []
    assert (out / "preview.png").is_file()


def test_every_command_line_matches_its_module() -> None:
    """The help line :data:`COMMANDS` shows without importing a module is the module's own."""
    parser = build_parser()  # every command registered in full
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    shown = {a.dest: a.help for a in subparsers._choices_actions}
    assert shown == {c.name: c.help for c in COMMANDS}


def test_the_compositor_loads_without_running_scipy_interpolate(tmp_path: Path) -> None:
    """A layer that needs psd-tools' compositor (gradient-styles.psd: fills and effects
    without interpolation) loads it, but psd-tools' scipy check finds scipy.interpolate
    registered lazily: neither it nor scipy.special (~0.3 s) runs; a later use loads it."""
    from tests.shared_corpus import require

    psd = require("corpus/psd/gradient-styles.psd")
    out = tmp_path / "out"
    code = (
        "import contextlib, io\n"
        "from spinelift.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['convert', {str(psd)!r}, '-o', {str(out)!r}, '--json']) in (0, 1)\n"
        "assert 'psd_tools.composite' in sys.modules\n"
    )
    assert _loaded_after(code, ("scipy.special", "scipy.interpolate._interpolate")) == []
    later = code + "from scipy import interpolate\nassert interpolate.interp1d is not None\n"
    assert _loaded_after(later, ("scipy.special", "scipy.interpolate._interpolate")) == [
        "scipy.special",
        "scipy.interpolate._interpolate",
    ]
