"""Server-streaming faults, through the project's real call pipeline.

A ``Sync``-like crawl (``support.CrawlService``, made for these tests because not
every integration type has a streaming RPC) streams one page per vendor request.
A stream whose vendor fails half-way must end with an error status, never complete
(a completed ``Sync`` promotes a partial catalog); a client that leaves mid-stream
must stop the crawl: the handler's generator is closed and its vendor request
abandoned, and the call is logged once, not as an error.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from {{ cookiecutter.package_name }}.call_context import (
    CallContext,
)

from .support import (
    CrawlService,
    FakeVendor,
    Recorder,
    Tenant,
    assert_no_secrets,
    records,
    records_of,
    secret,
)

PAGES = 10
FILLER = "x" * 32_768  # big pages fill the HTTP/2 window, so the handler waits to send


def tenant(mode: str) -> Tenant:
    return Tenant(f"com.example.{mode}", secret(f"rel-api-key-{mode}-c4a1"), "catalog", mode)


Crawl = Callable[[CrawlService, Any, CallContext], AsyncIterator[Message]]


def crawler(recorder: Recorder, *, vendor: bool = True, big: bool = False) -> Crawl:
    """A crawl handler: one vendor request per page (or none), recording how it ends."""

    async def crawl(
        service: CrawlService, request: Any, context: CallContext
    ) -> AsyncIterator[Message]:
        recorder.note(recorder.started, context.request_id)
        try:
            for number in range(request.pages):
                if vendor:
                    body = await service.vendor.request_json(context, "GET", f"/pages/{number}")
                    number = body["page"]
                recorder.note(recorder.pages_sent, number)
                yield service.page(
                    number, context.tenant.bundle_identifier + (FILLER if big else "")
                )
        except asyncio.CancelledError:
            recorder.note(recorder.cancelled, context.request_id)
            raise
        finally:
            recorder.note(recorder.closed, context.request_id)

    return crawl


async def read_all(call: AsyncIterable[Message], into: list[Message]) -> None:
    async for page in call:
        into.append(page)


async def read_number(call: grpc.aio.UnaryStreamCall[Message, Message]) -> int:
    page = await call.read()
    assert isinstance(page, Message), "the stream ended early"
    return CrawlService.number(page)


def request_id() -> str:
    return "rel-" + uuid.uuid4().hex


def no_errors_logged(log_lines: io.StringIO) -> None:
    errors = [e for e in records(log_lines.getvalue()) if e["level"] in ("error", "critical")]
    assert errors == [], "\n".join(str(e.get("msg")) + str(e.get("exc")) for e in errors)


async def test_a_complete_crawl_completes(
    fake_vendor: FakeVendor, recorder: Recorder, log_lines: io.StringIO
) -> None:
    async with CrawlService(crawler(recorder)) as service:
        call = service.crawl(service.request(tenant("crawl"), fake_vendor, PAGES))
        pages = [CrawlService.number(page) async for page in call]
        assert pages == list(range(PAGES))
        assert await call.code() == grpc.StatusCode.OK


async def test_a_vendor_failing_half_way_ends_the_stream_with_an_error(
    fake_vendor: FakeVendor, recorder: Recorder, log_lines: io.StringIO
) -> None:
    rid = request_id()
    received: list[Message] = []
    async with CrawlService(crawler(recorder)) as service:
        call = service.crawl(
            service.request(tenant("crawlfail"), fake_vendor, PAGES), request_id=rid
        )
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await read_all(call, received)
    # The pages before the failure arrived; then an error, never a clean completion.
    assert [CrawlService.number(page) for page in received] == list(range(FakeVendor.FAULT_PAGE))
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    details = raised.value.details() or ""
    assert "503" in details
    assert_no_secrets(details)
    lines = records_of(log_lines.getvalue(), rid)
    assert [(line["status"], line["level"]) for line in lines] == [("UNAVAILABLE", "info")]
    assert rid in recorder.closed


async def test_a_handler_crashing_half_way_ends_the_stream_with_internal(
    fake_vendor: FakeVendor, recorder: Recorder, log_lines: io.StringIO
) -> None:
    async def crash(
        service: CrawlService, request: Any, context: CallContext
    ) -> AsyncIterator[Message]:
        yield service.page(0)
        raise KeyError(context.tenant.secret("api-key").reveal())  # a bug, echoing a secret

    async with CrawlService(crash) as service:
        call = service.crawl(service.request(tenant("crawl"), fake_vendor, PAGES))
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await read_all(call, [])
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    details = raised.value.details() or ""
    assert details.startswith("internal error (request id")
    assert_no_secrets(details)
    # The traceback is logged (redacted), as the one error of this test.
    errors = [e for e in records(log_lines.getvalue()) if e["level"] == "error"]
    assert len(errors) == 1
    assert "KeyError" in errors[0]["exc"]


@pytest.mark.parametrize("how", ["cancel", "close-channel"])
async def test_a_client_leaving_while_the_vendor_works_stops_the_crawl(
    fake_vendor: FakeVendor, recorder: Recorder, log_lines: io.StringIO, how: str
) -> None:
    # From page FAULT_PAGE on the vendor hangs: the handler is inside a vendor request
    # when the client leaves.
    rid = request_id()
    async with CrawlService(crawler(recorder)) as service:
        call = service.crawl(
            service.request(tenant("crawlhang"), fake_vendor, PAGES), request_id=rid
        )
        numbers = [await read_number(call) for _ in range(FakeVendor.FAULT_PAGE)]
        assert numbers == list(range(FakeVendor.FAULT_PAGE))
        await fake_vendor.wait_for(lambda: fake_vendor.in_flight == 1)
        if how == "cancel":
            call.cancel()
        else:
            assert service.channel is not None
            await service.channel.close()
        await fake_vendor.wait_for(lambda: len(fake_vendor.aborted) == 1)
        await recorder.wait_for(lambda: rid in recorder.closed)
    assert rid in recorder.cancelled
    assert fake_vendor.pages == list(range(FakeVendor.FAULT_PAGE + 1))  # nothing after
    lines = records_of(log_lines.getvalue(), rid)
    assert [(line["status"], line["level"]) for line in lines] == [("CANCELLED", "info")]
    no_errors_logged(log_lines)


async def test_a_client_leaving_while_the_handler_waits_to_send_closes_the_generator(
    fake_vendor: FakeVendor, recorder: Recorder, log_lines: io.StringIO
) -> None:
    # Big pages, no vendor: the handler outruns the client and waits at ``yield`` for
    # room to send. The pipeline must close the generator when the client leaves.
    rid = request_id()
    async with CrawlService(crawler(recorder, vendor=False, big=True)) as service:
        call = service.crawl(
            service.request(tenant("crawl"), fake_vendor, 1_000_000), request_id=rid
        )
        for _ in range(3):
            await read_number(call)
        call.cancel()
        await recorder.wait_for(lambda: rid in recorder.closed)
        sent = len(recorder.pages_sent)
    assert sent < 1_000_000
    assert len(recorder.pages_sent) == sent  # the crawl stopped
    lines = records_of(log_lines.getvalue(), rid)
    assert [(line["status"], line["level"]) for line in lines] == [("CANCELLED", "info")]
    no_errors_logged(log_lines)
