"""The exit codes of ``spinelift`` and how errors map to them."""

from __future__ import annotations

from enum import IntEnum

from spinelift.errors import InvalidParametersError, SpineLiftError


class ExitCode(IntEnum):
    """What the process tells its caller; stable, documented in ``--help``."""

    OK = 0
    """every image was processed"""
    IMAGES_FAILED = 1
    """at least one image failed (the others were still written)"""
    USAGE = 2
    """bad command line, settings or inputs; nothing was processed"""
    OUTPUT_FAILED = 3
    """an output file could not be written"""
    INTERNAL = 4
    """a bug in SpineLift; please report it"""
    INTERRUPTED = 130
    """stopped by Ctrl-C"""


EPILOG = """\
exit codes:
  0    every image was processed
  1    at least one image failed (the others were still written)
  2    bad command line, settings or inputs; nothing was processed
  3    an output file could not be written
  4    internal error (a bug in SpineLift; please report it)
  130  interrupted

errors are printed to stderr as "error: CODE: message"."""


OUTPUT_WRITE_FAILED = "OUTPUT_WRITE_FAILED"
INTERNAL_ERROR = "INTERNAL_ERROR"
USAGE_ERROR = "USAGE"


def exit_code_for(error: SpineLiftError) -> ExitCode:
    """The exit code for an error that stops the whole command."""
    if isinstance(error, InvalidParametersError):
        return ExitCode.USAGE
    return ExitCode.IMAGES_FAILED
