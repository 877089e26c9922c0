"""One log format for every line of a process, with a correlation id (``X-Request-ID``)
carried into jobs.

``SPINELIFT_LOG_FORMAT``: ``json`` (one JSON object per line on stderr: time, level,
logger, message, ``request_id`` and ``job_id`` from the context, plus any ``extra={...}``
fields of the call), ``text`` (the same fields as a human line) or ``auto`` (the
default: ``text`` when stderr is a terminal, ``json`` otherwise). :func:`configure_logging`
sends SpineLift's loggers and every other library's (Dramatiq, uvicorn) through the
same formatter, so a ``spinelift serve`` log holds one format only.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
job_id_var: ContextVar[str] = ContextVar("job_id", default="")

_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := request_id_var.get():
            entry["request_id"] = request_id
        if job_id := job_id_var.get():
            entry["job_id"] = job_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(JsonFormatter):
    """The fields of :class:`JsonFormatter` as one human line:
    ``2026-12-05 17:14:50 INFO    spinelift.serve: message (key=value, ...)``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = json.loads(super().format(record))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        line = f"{stamp} {entry.pop('level'):<7} {entry.pop('logger')}: {entry.pop('message')}"
        exception = entry.pop("exception", None)
        entry.pop("time", None)
        message = line
        entry = {k: v for k, v in entry.items() if str(v) not in message}  # said already
        if entry:
            line += " (" + ", ".join(f"{k}={v}" for k, v in entry.items()) + ")"
        return line if exception is None else f"{line}\n{exception}"


FORMATS = ("auto", "json", "text")


def resolve_format(fmt: str, stream: Any = None) -> str:
    """``json`` or ``text`` for a setting of ``auto``/``json``/``text`` (``auto``: text
    when ``stream``, default stderr, is a terminal)."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if fmt == "auto":
        stream = sys.stderr if stream is None else stream
        return "text" if getattr(stream, "isatty", lambda: False)() else "json"
    return fmt


def _ours(handler: logging.Handler) -> bool:
    return isinstance(handler.formatter, JsonFormatter) and isinstance(
        handler, logging.StreamHandler
    )


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Send every log line of this process to stderr in one format (idempotent).

    The ``spinelift`` loggers at ``level``; everything else (Dramatiq at INFO, uvicorn,
    other libraries at WARNING) through a root handler of the same format, which
    replaces the plain handler ``logging.basicConfig`` (Dramatiq's CLI) installs."""
    formatter = TextFormatter() if resolve_format(fmt) == "text" else JsonFormatter()
    logger = logging.getLogger("spinelift")
    logger.setLevel(level.upper())
    _install(logger, formatter)
    logger.propagate = False
    root = logging.getLogger()
    for handler in list(root.handlers):  # basicConfig's plain handler (exactly that class)
        if type(handler) is logging.StreamHandler and not _ours(handler):
            root.removeHandler(handler)
    _install(root, formatter)
    logging.captureWarnings(True)  # Python's warnings too, as log lines of this format
    logging.getLogger("dramatiq").setLevel(min(logging.INFO, logger.level))


def _install(logger: logging.Logger, formatter: logging.Formatter) -> None:
    for handler in logger.handlers:
        if _ours(handler):
            handler.setFormatter(formatter)
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sys.stderr)  # Dramatiq's workers swap stderr for a pipe
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    logger.addHandler(handler)


@contextmanager
def log_context(*, request_id: str = "", job_id: str = "") -> Iterator[None]:
    """Tag every log line inside the block with these ids."""
    tokens = (request_id_var.set(request_id), job_id_var.set(job_id))
    try:
        yield
    finally:
        request_id_var.reset(tokens[0])
        job_id_var.reset(tokens[1])
