"""``spinelift``: the command-line entry point, a thin dispatcher.

Each subcommand lives in its own module with ``register(subparsers)``, which adds
its parser and sets a ``handler(args) -> int``. :data:`COMMANDS` names every
subcommand with its one-line help and the module that holds it; a module is
imported only when its command runs (or its ``--help`` is asked for), so
``spinelift --help`` and ``spinelift convert`` never import the web stack, and a
command's own heavy imports wait inside its handler. To add a command, write its
module and add one :class:`Command` line to :data:`COMMANDS` (``tests/cli`` checks
that the line's help matches the module's).

:func:`main` parses, dispatches and turns every error into ``error: CODE: message``
on stderr and an exit code (:mod:`spinelift.cli.exit_codes`), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from spinelift.cli.exit_codes import EPILOG, INTERNAL_ERROR, USAGE_ERROR, ExitCode, exit_code_for
from spinelift.errors import SpineLiftError


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, its line in ``spinelift --help``, and the module (under
    ``spinelift.cli``) whose ``register(subparsers)`` adds its parser."""

    name: str
    help: str
    module: str


COMMANDS = (
    Command("convert", "turn a PSD (or PNGs) into a Spine project", "convert_command"),
    Command("mesh", "turn images into Spine mesh attachment JSON", "mesh_command"),
    Command(
        "rig", "bind a Spine skeleton's attachments to its bones as weighted meshes", "rig_command"
    ),
    Command("worker", "run job worker processes (Dramatiq on Redis)", "worker_command"),
    Command(
        "mesh-service",
        "run the mesh service API with its broker and workers",
        "mesh_service_command",
    ),
    Command("serve", "run the web app with its database, broker and workers", "serve_command"),
    Command("db", "create or migrate the web app's database", "db_command"),
    Command(
        "account",
        "deactivate, reactivate or delete a web app account (operator)",
        "account_command",
    ),
)


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors read ``error: USAGE: ...`` like every other error."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise _UsageError(message)


class _UsageError(SystemExit):
    """A bad command line (exit 2), reported by :func:`main` like every other error."""

    def __init__(self, message: str) -> None:
        super().__init__(int(ExitCode.BAD_INPUT))
        self.message = message


class _VersionAction(argparse.Action):
    """``--version``: reads the version only when asked (package metadata is slow)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, help="show program's version number and exit"
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        from spinelift import __version__

        print(f"spinelift {__version__}")
        parser.exit()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``spinelift`` parser. With ``argv`` (the arguments about to be parsed), only
    the command they name is registered in full (its module imported); every other
    command is a name and a help line. Without it, every command is registered."""
    parser = _Parser(
        prog="spinelift",
        description="Turn layered PSDs and PNGs into Spine projects with tight mesh attachments.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    wanted = None if argv is None else _command_named(argv)
    for command in COMMANDS:
        if argv is None or command.name == wanted:
            module = importlib.import_module(f"spinelift.cli.{command.module}")
            module.register(subparsers)
        else:
            subparsers.add_parser(command.name, help=command.help, add_help=False)
    return parser


def _command_named(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first argument not starting with ``-``."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``spinelift`` with ``argv`` (default: the process arguments); return the exit code."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_in)
    as_json = "--json" in args_in  # with --json, a failure is a JSON document on stdout
    try:
        args = parser.parse_args(args_in)
    except _UsageError as exc:
        return _fail(USAGE_ERROR, exc.message, ExitCode.BAD_INPUT, as_json)
    except SystemExit as exc:  # --help and --version end parsing this way
        return exc.code if isinstance(exc.code, int) else int(ExitCode.BAD_INPUT)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return int(ExitCode.BAD_INPUT)
    try:
        return int(handler(args))
    except SpineLiftError as exc:
        return _fail(exc.code, exc.message, exit_code_for(exc), as_json, exc.details)
    except KeyboardInterrupt:
        return _fail("INTERRUPTED", "stopped by the user", ExitCode.INTERRUPTED, as_json)
    except BrokenPipeError:  # the reader of stdout went away (`| head`): stop quietly
        _silence_stdout()
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # users get a line, not a traceback
        message = f"{type(exc).__name__}: {exc} (please report this)"
        return _fail(INTERNAL_ERROR, message, ExitCode.INTERNAL, as_json)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush of a closed
    pipe does not print a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _fail(
    code: str,
    message: str,
    exit_code: ExitCode,
    as_json: bool,
    details: dict[str, Any] | None = None,
) -> int:
    """Report a failed command (:func:`spinelift.cli.report.print_failure`); its exit code."""
    from spinelift.cli.report import print_failure  # only when there is an error to show

    print_failure(code, message, exit_code, details=details, as_json=as_json)
    return int(exit_code)


if __name__ == "__main__":
    sys.exit(main())
