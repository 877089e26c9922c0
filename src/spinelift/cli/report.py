"""What ``spinelift`` tells people and machines: summary lines, JSON records, progress.

Per-image summaries go to stdout (one line each, or one JSON document with
``--json``); errors go to stderr as ``error: CODE: message``; the progress bar goes
to stderr, only when stderr is a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # rich is imported only when a bar is shown: errors print without it
    from rich.progress import Progress


@dataclass(frozen=True, slots=True)
class ImageResult:
    """The outcome of one image: its figures when it worked, its error when not."""

    name: str
    source: Path
    output: Path | None = None
    preview: Path | None = None
    vertices: int = 0
    hull_vertices: int = 0
    triangles: int = 0
    overdraw_percent: float = 0.0
    milliseconds: float = 0.0
    error_code: str | None = None
    error_message: str = ""
    error_details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_code is None


def error_line(code: str, message: str) -> str:
    """The one line every error is reported as."""
    return f"error: {code}: {message}"


def print_error(code: str, message: str) -> None:
    """Print :func:`error_line` to stderr."""
    print(error_line(code, message), file=sys.stderr, flush=True)


def text_table(
    header: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, left: int = 0
) -> list[str]:
    """Lines of a plain table: the header, a rule, then the rows; the first ``left``
    columns aligned left, the others right (numbers)."""
    widths = [max([len(h), *(len(r[k]) for r in rows)]) for k, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if k < left else c.rjust(w)
            for k, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def summary_line(result: ImageResult) -> str:
    """One human line for a successful image."""
    return (
        f"{result.name}: {result.vertices} vertices ({result.hull_vertices} hull), "
        f"{result.triangles} triangles, overdraw {result.overdraw_percent:.1f}%, "
        f"{result.milliseconds:.0f} ms -> {result.output}"
    )


def result_record(result: ImageResult) -> dict[str, Any]:
    """The JSON-safe record of one image for ``--json``."""
    record: dict[str, Any] = {
        "name": result.name,
        "input": str(result.source),
        "ok": result.ok,
    }
    if result.ok:
        record.update(
            output=str(result.output),
            preview=None if result.preview is None else str(result.preview),
            vertices=result.vertices,
            hull_vertices=result.hull_vertices,
            triangles=result.triangles,
            overdraw_percent=round(result.overdraw_percent, 3),
            milliseconds=round(result.milliseconds, 1),
        )
    else:
        record["error"] = {
            "code": result.error_code,
            "message": result.error_message,
            "details": result.error_details,
        }
    return record


class ProgressReporter(Protocol):
    """Receives progress while images are processed."""

    def start(self, name: str) -> None: ...
    def update(self, percent: int, message: str) -> None: ...
    def finish(self) -> None: ...
    def log(self, line: str) -> None:
        """Print one summary line to stdout (above the bar when both share a terminal)."""

    def error(self, code: str, message: str) -> None:
        """Print :func:`error_line` to stderr (above the bar while it shows)."""


class _Silent:
    def start(self, name: str) -> None:
        pass

    def update(self, percent: int, message: str) -> None:
        pass

    def finish(self) -> None:
        pass

    def log(self, line: str) -> None:
        print(line, flush=True)

    def error(self, code: str, message: str) -> None:
        print_error(code, message)


class _Bar:
    def __init__(self, progress: Progress, total: int) -> None:
        self._progress = progress
        self._task = progress.add_task("", total=total)
        self._done = 0
        self._name = ""

    def start(self, name: str) -> None:
        self._name = name
        self._progress.update(self._task, completed=self._done, description=name)

    def update(self, percent: int, message: str) -> None:
        fraction = min(max(percent, 0), 100) / 100.0
        self._progress.update(
            self._task, completed=self._done + fraction, description=f"{self._name}: {message}"
        )

    def finish(self) -> None:
        self._done += 1
        self._progress.update(self._task, completed=self._done, description=self._name)

    def log(self, line: str) -> None:
        if sys.stdout.isatty():  # same terminal as the bar: print above it, unwrapped
            self._progress.console.print(line, soft_wrap=True, markup=False, highlight=False)
        else:  # stdout goes elsewhere (a file, a pipe): leave it plain
            print(line, flush=True)

    def error(self, code: str, message: str) -> None:
        line = error_line(code, message)
        self._progress.console.print(line, soft_wrap=True, markup=False, highlight=False)


@contextmanager
def progress_display(total: int, *, enabled: bool) -> Iterator[ProgressReporter]:
    """A progress bar over ``total`` images on stderr, or a silent reporter.

    The bar is shown only when ``enabled`` and stderr is a terminal; summary lines go
    through the reporter's ``log`` so they never tear the bar.
    """
    if not (enabled and sys.stderr.isatty()):
        yield _Silent()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True, redirect_stdout=False) as progress:
        yield _Bar(progress, total)


def error_document(
    code: str, message: str, exit_code: int, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``--json`` document of a command that failed as a whole: seed 004's error body
    plus the exit code."""
    return {
        "error": {"code": code, "message": message, "details": dict(details or {})},
        "exit_code": int(exit_code),
    }


def print_failure(
    code: str,
    message: str,
    exit_code: int,
    *,
    details: dict[str, Any] | None = None,
    as_json: bool = False,
) -> None:
    """Report a command that failed as a whole: the error line on stderr, and with
    ``--json`` (``as_json``) :func:`error_document` on stdout."""
    print_error(code, message)
    if as_json:
        document = error_document(code, message, exit_code, details)
        print(json.dumps(document, indent=2, default=str), flush=True)
