"""Structured JSON logs with a correlation id (``X-Request-ID``) carried into jobs.

One JSON object per line on stderr: time, level, logger, message, ``request_id`` and
``job_id`` from the context, plus any ``extra={...}`` fields of the call.
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


def configure_logging(level: str = "INFO") -> None:
    """Send the ``spinelift`` loggers to stderr as JSON lines (idempotent)."""
    logger = logging.getLogger("spinelift")
    logger.setLevel(level.upper())
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.propagate = False


@contextmanager
def log_context(*, request_id: str = "", job_id: str = "") -> Iterator[None]:
    """Tag every log line inside the block with these ids."""
    tokens = (request_id_var.set(request_id), job_id_var.set(job_id))
    try:
        yield
    finally:
        request_id_var.reset(tokens[0])
        job_id_var.reset(tokens[1])
