"""Fixtures of the reliability tests (see ``support.py`` for the design)."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from .support import SECRETS, FakeVendor, Recorder


@pytest.fixture
async def fake_vendor() -> AsyncIterator[FakeVendor]:
    """The vendor's HTTP API, faked on a free local port."""
    vendor = await FakeVendor().start()
    yield vendor
    await vendor.close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(autouse=True)
def no_secret_in_logs(log_lines: io.StringIO) -> Iterator[None]:
    """Whatever a reliability test did, none of its secrets reached the log."""
    yield
    captured = log_lines.getvalue()
    for value in SECRETS:
        assert value not in captured, "a secret value was written to the log"


@pytest.fixture(autouse=True)
def quiet_http_traces(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx logs every request at INFO and httpcore traces it at DEBUG: thousands of
    calls would mostly measure that. Their warnings and errors are still captured."""
    for name in ("httpx", "httpcore"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.WARNING)
