"""``spinelift``: the command-line entry point, a thin dispatcher.

Each subcommand module adds itself with ``register(subparsers)`` and sets a
``handler(args) -> int``; :func:`main` parses, dispatches and turns every error into
``error: CODE: message`` on stderr and an exit code (:mod:`spinelift.cli.exit_codes`),
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from spinelift import __version__
from spinelift.cli import (
    convert_command,
    db_command,
    mesh_command,
    mesh_service_command,
    serve_command,
    worker_command,
)
from spinelift.cli.exit_codes import EPILOG, INTERNAL_ERROR, USAGE_ERROR, ExitCode, exit_code_for
from spinelift.cli.report import print_error
from spinelift.errors import SpineLiftError

SUBCOMMANDS = (
    convert_command,
    mesh_command,
    worker_command,
    mesh_service_command,
    serve_command,
    db_command,
)


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors read ``error: USAGE: ...`` like every other error."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print_error(USAGE_ERROR, message)
        raise SystemExit(ExitCode.USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The full ``spinelift`` parser with every subcommand registered."""
    parser = _Parser(
        prog="spinelift",
        description="Turn layered PSDs and PNGs into Spine projects with tight mesh attachments.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"spinelift {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``spinelift`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors end parsing this way
        return exc.code if isinstance(exc.code, int) else int(ExitCode.USAGE)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return int(ExitCode.USAGE)
    try:
        return int(handler(args))
    except SpineLiftError as exc:
        print_error(exc.code, exc.message)
        return int(exit_code_for(exc))
    except KeyboardInterrupt:
        print_error("INTERRUPTED", "stopped by the user")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # users get a line, not a traceback
        print_error(INTERNAL_ERROR, f"{type(exc).__name__}: {exc} (please report this)")
        return int(ExitCode.INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
