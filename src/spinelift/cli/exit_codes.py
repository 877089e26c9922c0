"""The one exit-code table of ``spinelift``, for every command, and how errors map to it.

:class:`ExitCode` is the table; :func:`exit_code_for` maps an error of the
:mod:`spinelift.errors` tree to its row, :func:`exit_code_for_codes` the error codes of
items that failed one by one (layers, images) to the row the whole command reports.
A bad input is one row whatever is wrong with it: missing, empty, unreadable, truncated
or not the format it claims (``INPUT_CODES``). The tables printed by ``--help``
(:data:`EPILOG` for the file commands, :data:`SERVER_EPILOG` for the long-running ones)
are written from the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from spinelift.errors import (
    DocumentError,
    ImageLoadError,
    InvalidParametersError,
    JobError,
    NetworkError,
    SpineLiftError,
    StorageError,
)


class ExitCode(IntEnum):
    """What the process tells its caller; stable, printed by ``--help``."""

    OK = 0
    """everything asked for was done"""
    ITEMS_FAILED = 1
    """some layers or images could not be meshed; the others were written"""
    BAD_INPUT = 2
    """bad command line, settings or input file (missing, empty, unreadable, corrupt)"""
    OUTPUT_FAILED = 3
    """an output file could not be written"""
    INTERNAL = 4
    """a bug in SpineLift; please report it"""
    UNAVAILABLE = 5
    """a service the command needs is unavailable (a port in use, Redis, the database)"""
    INTERRUPTED = 130
    """stopped by Ctrl-C or a signal, or its output pipe was closed (`| head`)"""
    USAGE = 2
    """an alias of :attr:`BAD_INPUT` (a bad command line is a bad input)"""
    IMAGES_FAILED = 1
    """an alias of :attr:`ITEMS_FAILED`"""


OUTPUT_WRITE_FAILED = "OUTPUT_WRITE_FAILED"
INTERNAL_ERROR = "INTERNAL_ERROR"
USAGE_ERROR = "USAGE"
INPUT_CODES = frozenset(
    {
        "INVALID_PARAMETERS",
        "IMAGE_LOAD_FAILED",
        "IMAGE_TOO_LARGE",
        "UNSUPPORTED_IMAGE",
        "IMAGE_NOT_FOUND",
        "DOCUMENT_INVALID",
        "UNSUPPORTED_DOCUMENT",
        "NO_LAYERS",
        "SKELETON_INVALID",
        "UNSUPPORTED_SKELETON",
        "BONE_HIERARCHY_INVALID",
        "DOCUMENT_TOO_LARGE",
        USAGE_ERROR,
    }
)
"""error codes that mean "the input (or the command line) is bad": exit 2"""

_ROWS = (
    (ExitCode.OK, "everything asked for was done"),
    (ExitCode.ITEMS_FAILED, "some layers or images could not be meshed; the others were written"),
    (
        ExitCode.BAD_INPUT,
        "bad command line, settings or input file (missing, empty, unreadable,\n"
        "       corrupt or of the wrong format: the same code whatever is wrong)",
    ),
    (ExitCode.OUTPUT_FAILED, "an output file could not be written"),
    (ExitCode.INTERNAL, "internal error (a bug in SpineLift; please report it)"),
    (ExitCode.UNAVAILABLE, "a service it needs is unavailable (a port in use, Redis, database)"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C, or the output pipe closed)"),
)
_SERVER_ROWS = (ExitCode.OK, ExitCode.BAD_INPUT, ExitCode.INTERNAL, ExitCode.UNAVAILABLE)
_SERVER_TEXT = {
    ExitCode.OK: "stopped cleanly (Ctrl-C or SIGTERM)",
    ExitCode.BAD_INPUT: "bad command line or settings",
}


def _table(rows: Iterable[tuple[ExitCode, str]]) -> str:
    return "\n".join(f"  {int(code):<4} {text}" for code, text in rows)


EPILOG = (
    "exit codes:\n"
    + _table(_ROWS)
    + '\n\nerrors are printed to stderr as "error: CODE: message"; with --json, stdout\n'
    'holds one JSON document, {"error": {"code", "message", "details"}, "exit_code"}\n'
    "when the command failed as a whole."
)
"""the exit-code table for ``--help`` of the commands that read and write files"""

SERVER_EPILOG = (
    "exit codes:\n"
    + _table((code, _SERVER_TEXT.get(code, dict(_ROWS)[code])) for code in _SERVER_ROWS)
    + '\n\nerrors are printed to stderr as "error: CODE: message".'
)
"""the exit-code table for ``--help`` of the long-running commands (servers, workers)"""


def exit_code_for(error: SpineLiftError) -> ExitCode:
    """The exit code for an error that stops the whole command."""
    if isinstance(error, InvalidParametersError | DocumentError | ImageLoadError):
        return ExitCode.BAD_INPUT
    if error.code in INPUT_CODES:
        return ExitCode.BAD_INPUT
    if isinstance(error, NetworkError | StorageError | JobError):
        return ExitCode.UNAVAILABLE
    return ExitCode.ITEMS_FAILED


def exit_code_for_codes(codes: Iterable[str | None]) -> ExitCode:
    """The exit code of a command whose items (layers, images) failed with ``codes``:
    the gravest row wins (internal, then output, then bad input, then failed items)."""
    found = {code for code in codes if code is not None}
    if INTERNAL_ERROR in found:
        return ExitCode.INTERNAL
    if OUTPUT_WRITE_FAILED in found:
        return ExitCode.OUTPUT_FAILED
    if found & INPUT_CODES:
        return ExitCode.BAD_INPUT
    return ExitCode.ITEMS_FAILED if found else ExitCode.OK


def plain_text(doc: str | None) -> str:
    """A module docstring as ``--help`` text: reStructuredText's double backticks removed."""
    return (doc or "").replace("``", "")
