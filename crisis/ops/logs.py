"""Logging for every process: one line per event, readable text or JSON lines.

`CRISIS_LOG_FORMAT=text|json` and `CRISIS_LOG_LEVEL` choose the form and the threshold; the
root logger carries the one handler, so uvicorn's and the libraries' loggers go through it too.
Each line carries its context: the request id (set per HTTP request), and the crisis, message
and delivery ids and the worker when the code that logs knows them (`extra=` or `log_context`).
Every secret the service knows, and the token of every acknowledgement link, is replaced by
`***` before a line is written.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO

if TYPE_CHECKING:
    from crisis.settings import Settings

LogFormat = Literal["text", "json"]
CONTEXT_KEYS = ("request_id", "crisis_id", "message_id", "delivery_id", "worker")
REDACTED = "***"

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("crisis_log_context")
_secrets: set[str] = set()
_process_context: dict[str, str] = {}


def register_secrets(values: Iterable[str]) -> None:
    """Secrets that must never reach a log line (tokens, keys, passwords)."""
    _secrets.update(v for v in values if v and len(v) >= 4)


def set_process_context(**values: str) -> None:
    """Context of the whole process (its worker name)."""
    _process_context.update(values)


@contextmanager
def log_context(**values: str | None) -> Iterator[None]:
    """Context of the lines logged inside the block (and the tasks it starts)."""
    token = enter_context(**values)
    try:
        yield
    finally:
        leave_context(token)


def enter_context(**values: str | None) -> contextvars.Token[dict[str, str]]:
    """`log_context` without a context manager, for a request's hot path; `leave_context`
    with the token given ends it."""
    return _context.set(_context.get({}) | {k: v for k, v in values.items() if v})


def leave_context(token: contextvars.Token[dict[str, str]]) -> None:
    _context.reset(token)


def current_context() -> dict[str, str]:
    return dict(_context.get({}))


# The token of a personal acknowledgement link, at every level and from every library (a
# Bot API call's parameters at DEBUG carry the page's text): after `/ack/`, also URL-encoded
# (`%2Fack%2F`) or JSON-escaped (`\/ack\/`).
_ACK_TOKEN = re.compile(r"((?:\\*/|%2[fF])ack(?:\\*/|%2[fF]))[A-Za-z0-9_\-.=]+")


def _redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "ack" in text:
        text = _ACK_TOKEN.sub(lambda found: found.group(1) + REDACTED, text)
    return text


def _context_of(record: logging.LogRecord) -> dict[str, str]:
    found = _process_context | _context.get({})
    for key in CONTEXT_KEYS:
        value = getattr(record, key, None)
        if value:
            found[key] = str(value)
    return {k: found[k] for k in CONTEXT_KEYS if k in found}


def _instant(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the context."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _instant(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= _context_of(record)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _redact(json.dumps(line, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value…`, for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{k}={v}" for k, v in _context_of(record).items())
        line = f"{_instant(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if context:
            line += f" [{context}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return _redact(line)


# One line per provider request (httpx) or per sweep (APScheduler) would drown the rest: those
# libraries speak from WARNING up, unless the level is DEBUG.
_QUIET_LIBRARIES = {
    "apscheduler": logging.WARNING,
    "alembic": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
}


def configure_process_logging(settings: Settings, *, default_level: str) -> None:
    """The settings' form and threshold, or `default_level` when they name none."""
    configure_logging(level=settings.log_level or default_level, fmt=settings.log_format)


def configure_logging(
    *, level: str = "INFO", fmt: LogFormat = "text", stream: TextIO | None = None
) -> logging.Handler:
    """Install the one handler on the root logger (again: the previous one is replaced)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for previous in [h for h in root.handlers if getattr(h, "crisis_handler", False)]:
        root.removeHandler(previous)
    handler.crisis_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    # This is the one configuration: a logger an earlier dictConfig disabled speaks again.
    for existing in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(existing, logging.Logger):
            existing.disabled = False
    # uvicorn configures nothing when given log_config=None; its loggers then reach the root.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name, floor in _QUIET_LIBRARIES.items():
        quiet = root.level > logging.DEBUG
        logging.getLogger(name).setLevel(max(floor, root.level) if quiet else logging.NOTSET)
    return handler
