"""A caller that cancels, or whose deadline passes, stops the work done for it.

The handler's vendor request is abandoned (the fake vendor sees the client leave),
the handler sees ``CancelledError``, and the call is logged once, at INFO, with the
status the caller ended it with: a caller leaving is not an error of the service.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

import grpc
import pytest

from .support import (
    FakeVendor,
    Recorder,
    Tenant,
    manifest_stub,
    records,
    records_of,
    secret,
    serving,
    stall,
)

SLOW = Tenant("com.example.slow", secret("rel-api-key-slow-5e5e"), "slow-shop", mode="slow")


def request_id() -> str:
    return "rel-" + uuid.uuid4().hex


def logged_once(log_lines: io.StringIO, rid: str, status: str) -> dict[str, Any]:
    """The call's single log line: at INFO, with ``status``; and no error logged at all."""
    lines = records_of(log_lines.getvalue(), rid)
    assert len(lines) == 1, lines
    assert lines[0]["status"] == status
    assert lines[0]["level"] == "info"
    unexpected = [e for e in records(log_lines.getvalue()) if e["level"] in ("error", "critical")]
    assert unexpected == []
    return lines[0]


async def test_a_cancelled_call_abandons_its_vendor_request(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
) -> None:
    rid = request_id()
    async with serving(monkeypatch, recorder) as harness:
        assert harness.channel is not None
        call = manifest_stub(harness.channel)(
            SLOW.request(fake_vendor), timeout=30, metadata=(("x-request-id", rid),)
        )
        await fake_vendor.wait_for(lambda: fake_vendor.in_flight == 1)
        assert call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert await call.code() == grpc.StatusCode.CANCELLED
        await fake_vendor.wait_for(lambda: len(fake_vendor.aborted) == 1)
        await recorder.wait_for(lambda: rid in recorder.cancelled)
    assert fake_vendor.in_flight == 0
    logged_once(log_lines, rid, "CANCELLED")


async def test_an_expired_deadline_abandons_the_vendor_request(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
) -> None:
    # The vendor client's own timeout is far longer: the caller's deadline must win.
    rid = request_id()
    async with serving(monkeypatch, recorder, vendor_timeout=60.0) as harness:
        assert harness.channel is not None
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await manifest_stub(harness.channel)(
                SLOW.request(fake_vendor), timeout=0.5, metadata=(("x-request-id", rid),)
            )
        assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await fake_vendor.wait_for(lambda: len(fake_vendor.aborted) == 1)
    assert fake_vendor.in_flight == 0
    logged_once(log_lines, rid, "DEADLINE_EXCEEDED")


async def test_an_expired_deadline_cancels_a_handler_that_ignores_it(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
) -> None:
    # A handler waiting on something without a timeout: gRPC cancels it at the deadline.
    rid = request_id()
    async with serving(monkeypatch, recorder, stall) as harness:
        assert harness.channel is not None
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await manifest_stub(harness.channel)(
                SLOW.request(fake_vendor), timeout=0.3, metadata=(("x-request-id", rid),)
            )
        assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await recorder.wait_for(lambda: rid in recorder.cancelled)
    logged_once(log_lines, rid, "DEADLINE_EXCEEDED")
