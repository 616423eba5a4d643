"""Logging as JSON lines (or plain text), with secrets redacted from every line.

Redaction works on the finished line, traceback included, so a secret that an
exception message echoes from a request is caught too. The secrets to hide are
those of the call being served (set by the call pipeline) plus the service's own.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import sys
import time
from collections.abc import Iterable
from typing import Any

from google.protobuf import text_encoding

from .tenant_config import REDACTED

_call_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "call_secrets", default=()
)
_service_secrets: list[str] = []
# Fields a log call may add through ``extra=``; they become JSON keys.
FIELDS = ("method", "status", "duration_ms", "request_id", "tenant", "peer", "event_key", "code")


def set_call_secrets(secrets: Iterable[str]) -> contextvars.Token[tuple[str, ...]]:
    return _call_secrets.set(tuple(secret for secret in secrets if secret))


def reset_call_secrets(token: contextvars.Token[tuple[str, ...]]) -> None:
    # A response stream closed from another task (the caller left) ends the call in that
    # task's context, where the token is foreign; the context holding the secrets ends
    # with its own task, so there is nothing to undo.
    with contextlib.suppress(ValueError):
        _call_secrets.reset(token)


def add_service_secret(secret: str) -> None:
    """A secret of the service itself (e.g. the shared key): redacted in every line."""
    if secret and secret not in _service_secrets:
        _service_secrets.append(secret)


@functools.lru_cache(maxsize=1024)
def _spellings(secret: str) -> tuple[str, ...]:
    """The ways a secret can appear in text: as is, and as repr(), JSON and protobuf text
    format escape it (an exception message that echoes a request escapes its strings)."""
    spellings = {
        secret,
        repr(secret)[1:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        text_encoding.CEscape(secret.encode(), as_utf8=False),
        text_encoding.CEscape(secret.encode(), as_utf8=True),
    }
    # Longest first, so a spelling that contains another is replaced whole.
    return tuple(sorted(spellings, key=len, reverse=True))


@functools.lru_cache(maxsize=256)
def _all_spellings(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """Every spelling of every secret, in redaction order: one cache lookup per line
    instead of one per secret (the secrets of a tenant are the same on every call)."""
    return tuple(dict.fromkeys(spelling for secret in secrets for spelling in _spellings(secret)))


def _current_spellings() -> tuple[str, ...]:
    return _all_spellings((*_call_secrets.get(), *_service_secrets))


def redact(text: str) -> str:
    """``text`` with every secret of the current call and of the service masked."""
    for spelling in _current_spellings():
        if spelling in text:
            text = text.replace(spelling, REDACTED)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line. It runs for every call served, so it is kept cheap."""

    # One encoder for every line (``json.dumps`` with options builds one per call).
    _encoder = json.JSONEncoder(ensure_ascii=False, default=str)

    def __init__(self) -> None:
        super().__init__()
        self._second = -1  # the whole second whose text is cached in _stamp
        self._stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:  # formatted once a second, not once a line
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        entry: dict[str, Any] = {
            "ts": f"{self._stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = record.__dict__
        for name in FIELDS:
            if name in fields:
                entry[name] = fields[name]
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        # Redact before encoding: JSON escaping would hide a secret holding quotes.
        # One search over all the text first: most lines hold no secret at all.
        text = "\n".join(value for value in entry.values() if isinstance(value, str))
        for spelling in _current_spellings():
            if spelling in text:
                entry = {
                    key: redact(value) if isinstance(value, str) else value
                    for key, value in entry.items()
                }
                break
        return self._encoder.encode(entry)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(
            f"{name}={record.__dict__[name]}" for name in FIELDS if name in record.__dict__
        )
        return redact(f"{line} {extras}" if extras else line)


def configure(level: str = "INFO", log_format: str = "json") -> None:
    """Send all logs to stderr in the chosen format; idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_integration_handler", False):
            root.removeHandler(old)
    handler._integration_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    skip_unused_record_fields()


def skip_unused_record_fields() -> None:
    """Stop ``logging`` collecting what neither formatter writes, for every record.

    By default each record looks up its caller's file, line and function (a walk up the
    stack), the thread name and the process id: about half the cost of the log line of
    every call served. This is the Logging HOWTO's own advice ("Optimization"). A
    handler you add that needs ``%(funcName)s`` or ``%(threadName)s`` wants this undone.
    """
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
