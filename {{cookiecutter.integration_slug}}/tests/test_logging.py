"""Structured logs: one JSON line per call with what an operator needs, secrets masked.

The autouse ``log_lines`` fixture (conftest.py) also fails any test whose log output
holds a test tenant's secret.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from google.protobuf import json_format

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.generated import contract
from {{ cookiecutter.package_name }}.rpc_caller import build_request
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.structured_logging import (
    JsonFormatter,
    TextFormatter,
    add_service_secret,
    configure,
    redact,
    reset_call_secrets,
    set_call_secrets,
)
from {{ cookiecutter.package_name }}.testing import (
    Harness,
    sample_tenant,
)

RPC = "IntegrationService.GetManifest"
AWKWARD_SECRET = 'pä"ss\\wörd-3f9c'  # quotes, backslash, non-ASCII: escaped differently everywhere
SECRET_TAIL = "3f9c"  # its plain end: present in every spelling that was not redacted


def entries(log_lines: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_lines.getvalue().splitlines()]


def rpc_lines(log_lines: io.StringIO) -> list[dict[str, Any]]:
    return [entry for entry in entries(log_lines) if entry["msg"] == "rpc"]


async def test_a_call_logs_one_line_with_method_status_duration_request_and_tenant(
    harness: Harness, log_lines: io.StringIO
) -> None:
    await harness.call(RPC, {}, metadata=[("x-request-id", "trace-123")])
    [line] = rpc_lines(log_lines)
    assert line["method"] == contracts.find_rpc(RPC).path
    assert line["status"] == "OK"
    assert line["request_id"] == "trace-123"
    assert line["tenant"] == contract.BUNDLE_IDENTIFIER
    assert isinstance(line["duration_ms"], (int, float))
    assert line["duration_ms"] >= 0
    assert line["level"] == "info"


async def test_a_request_id_is_made_when_the_caller_sends_none(
    harness: Harness, log_lines: io.StringIO
) -> None:
    await harness.call(RPC, {})
    await harness.call(RPC, {}, metadata=[("x-request-id", "x" * 1000)])
    made, bounded = rpc_lines(log_lines)
    assert len(made["request_id"]) == 32
    assert bounded["request_id"] == "x" * 128


def test_every_escaped_spelling_of_a_secret_is_redacted() -> None:
    token = set_call_secrets([AWKWARD_SECRET])
    try:
        tenant = sample_tenant(**{"api-key": AWKWARD_SECRET})
        request = build_request(contracts.find_rpc(RPC), {}, tenant)
        texts = [
            AWKWARD_SECRET,
            repr(AWKWARD_SECRET),
            json.dumps(AWKWARD_SECRET),
            json.dumps(AWKWARD_SECRET, ensure_ascii=False),
            str(request),  # protobuf text format, as an exception message might echo it
            json.dumps(json_format.MessageToDict(request)),
        ]
        for text in texts:
            assert SECRET_TAIL not in redact(text), text
            assert "********" in redact(text)
    finally:
        reset_call_secrets(token)
    assert redact(AWKWARD_SECRET) == AWKWARD_SECRET  # only while the call lasts


def format_error(formatter: logging.Formatter, message: str) -> str:
    try:
        raise ValueError(message)
    except ValueError as error:
        record = logging.LogRecord("test", logging.ERROR, __file__, 1, "no: %s", (message,), None)
        record.exc_info = (type(error), error, error.__traceback__)
    return formatter.format(record)


def test_both_log_formats_redact_messages_and_tracebacks() -> None:
    token = set_call_secrets([AWKWARD_SECRET])
    try:
        for formatter in (JsonFormatter(), TextFormatter()):
            line = format_error(formatter, f"bad key {AWKWARD_SECRET!r}")
            assert SECRET_TAIL not in line
            assert "Traceback" in line
    finally:
        reset_call_secrets(token)


def test_the_service_key_is_redacted_in_every_line() -> None:
    add_service_secret("service-key-e1b0")
    line = JsonFormatter().format(
        logging.LogRecord("test", logging.INFO, __file__, 1, "key %s", ("service-key-e1b0",), None)
    )
    assert "service-key-e1b0" not in line


def test_settings_never_show_the_service_key() -> None:
    settings = Settings(insecure=True, preshared_key="service-key-9d2f")
    assert "service-key-9d2f" not in repr(settings)
    assert "service-key-9d2f" not in str(settings)


def test_configured_logging_skips_the_record_fields_no_formatter_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Caller lookup, thread and process names cost half of each call's log line."""
    for name in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, name, getattr(logging, name))
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    probe = logging.getLogger("tests.record_fields")
    monkeypatch.setattr(probe, "propagate", False)
    monkeypatch.setattr(probe, "handlers", [Keep()])

    probe.warning("before")
    configure("INFO", "json")
    probe.warning("after")

    before, after = records
    assert before.funcName == (
        test_configured_logging_skips_the_record_fields_no_formatter_writes.__name__
    )
    assert before.thread is not None
    assert after.funcName == "(unknown function)"
    assert (after.thread, after.threadName, after.process) == (None, None, None)
    # The lines say the same: the skipped fields were never written.
    formatter = JsonFormatter()
    assert json.loads(formatter.format(before)).keys() == json.loads(formatter.format(after)).keys()
