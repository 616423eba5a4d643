"""One interceptor maps every failure to a status code; the caller never sees internals.

Handlers are replaced for a test by patching the handler class (``HANDLERS``) before
the server starts; the vendor client gets a fake HTTP transport (``httpx.MockTransport``).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

import grpc
import httpx
import pytest
from google.protobuf.message import Message

from {{ cookiecutter.package_name }} import (
    contracts,
    errors,
)
from {{ cookiecutter.package_name }}.call_context import CallContext
from {{ cookiecutter.package_name }}.call_pipeline import (
    early_end_status,
)
from {{ cookiecutter.package_name }}.handlers import HANDLERS
from {{ cookiecutter.package_name }}.handlers.base import (
    ServiceHandler,
)
from {{ cookiecutter.package_name }}.rpc_caller import (
    invoke,
    requests_of,
)
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.tenant_config import (
    Secret,
    TenantConfig,
)
from {{ cookiecutter.package_name }}.testing import (
    TEST_SECRETS,
    Harness,
    sample_tenant,
)
from {{ cookiecutter.package_name }}.vendor import VendorClient

RPC = "IntegrationService.GetManifest"
API_KEY = TEST_SECRETS["api-key"]
HandlerMethod = Callable[[ServiceHandler, Message, CallContext], Awaitable[Message]]


def replace_rpc(monkeypatch: pytest.MonkeyPatch, method: HandlerMethod) -> None:
    """Serve ``RPC`` with ``method`` in servers started after this call."""
    rpc = contracts.find_rpc(RPC)
    monkeypatch.setattr(HANDLERS[rpc.service], rpc.name, method)


def raising(error: BaseException) -> HandlerMethod:
    async def handler(self: ServiceHandler, request: Message, context: CallContext) -> Message:
        raise error

    return handler


async def failed_call(harness: Harness, **options: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await harness.call(RPC, {}, **options)
    return error.value


def log_entries(log_lines: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_lines.getvalue().splitlines()]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidRequestError("user_id must not be empty"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.NotFoundError("the vendor has no user 42"), grpc.StatusCode.NOT_FOUND),
        (errors.PermissionDeniedError("refused"), grpc.StatusCode.PERMISSION_DENIED),
        (errors.VendorTimeoutError("too slow"), grpc.StatusCode.DEADLINE_EXCEEDED),
        (errors.VendorUnavailableError("down"), grpc.StatusCode.UNAVAILABLE),
        (TimeoutError(), grpc.StatusCode.DEADLINE_EXCEEDED),
        (NotImplementedError(), grpc.StatusCode.UNIMPLEMENTED),
    ],
)
async def test_errors_map_to_status_codes(
    monkeypatch: pytest.MonkeyPatch, error: Exception, code: grpc.StatusCode
) -> None:
    replace_rpc(monkeypatch, raising(error))
    async with Harness() as harness:
        failure = await failed_call(harness)
    assert failure.code() == code
    if isinstance(error, errors.IntegrationError):
        assert failure.details() == str(error)  # written for the caller: passed on


async def test_a_crash_is_internal_with_only_a_request_id(
    monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO
) -> None:
    async def crash(self: ServiceHandler, request: Message, context: CallContext) -> Message:
        # A careless message that echoes the request, secrets and all.
        raise RuntimeError(f"cannot use {request} with key {context.tenant.secret('api-key')!s}")

    replace_rpc(monkeypatch, crash)
    async with Harness() as harness:
        failure = await failed_call(harness, metadata=[("x-request-id", "req-crash-1")])
    assert failure.code() == grpc.StatusCode.INTERNAL
    details = failure.details() or ""
    assert details == "internal error (request id req-crash-1)"
    assert ("x-request-id", "req-crash-1") in tuple(failure.trailing_metadata() or ())
    # The traceback went to the log, with the secrets it echoed redacted.
    [entry] = [line for line in log_entries(log_lines) if line.get("request_id") == "req-crash-1"]
    assert entry["status"] == "INTERNAL"
    assert "Traceback" in entry["exc"]
    assert "RuntimeError" in entry["exc"]
    assert "********" in entry["exc"]
    assert API_KEY not in log_lines.getvalue()


async def test_a_secret_in_an_error_message_is_redacted_for_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def echo(self: ServiceHandler, request: Message, context: CallContext) -> Message:
        raise errors.InvalidRequestError(f"bad key {context.tenant.secret('api-key').reveal()}")

    replace_rpc(monkeypatch, echo)
    async with Harness() as harness:
        failure = await failed_call(harness)
    assert failure.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.details() == "bad key ********"


async def test_a_request_that_is_not_a_message_is_invalid_argument(harness: Harness) -> None:
    assert harness.channel is not None
    rpc = contracts.find_rpc(RPC)
    send_bytes = harness.channel.unary_unary(
        rpc.path, request_serializer=lambda data: data, response_deserializer=lambda data: data
    )
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await send_bytes(b"\xff\xff\xff\xff", timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid" in (error.value.details() or "")


async def test_an_oversized_request_is_resource_exhausted() -> None:
    async with Harness(Settings(insecure=True, max_message_bytes=4096)) as harness:
        tenant = sample_tenant()
        tenant["values"]["api-base-url"]["stringValue"] = "https://x.test/" + "a" * 8192
        failure = await failed_call(harness, tenant=tenant)
    assert failure.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_the_callers_deadline_cancels_the_handler(
    monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO
) -> None:
    started: list[str] = []
    cancelled = asyncio.Event()

    async def forever(self: ServiceHandler, request: Message, context: CallContext) -> Message:
        started.append(context.request_id)
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        raise AssertionError("unreachable")

    replace_rpc(monkeypatch, forever)
    async with Harness() as harness:
        # On a busy machine a short deadline can pass before the call reaches its
        # handler, which then never runs: lengthen the deadline until one does.
        for timeout in (0.2, 1.0, 5.0, 20.0):
            request_id = [("x-request-id", f"late-{timeout}")]
            failure = await failed_call(harness, timeout=timeout, metadata=request_id)
            assert failure.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            if started:
                break
        await cancelled.wait()  # the server stopped working on it too
    [entry] = [line for line in log_entries(log_lines) if line.get("request_id") == started[0]]
    assert entry["msg"].startswith("call ended by the caller")
    # DEADLINE_EXCEEDED, unless the request spent longer in transit than the pipeline's
    # slack (a busy machine): the next test pins that classification down.
    assert entry["status"] in ("DEADLINE_EXCEEDED", "CANCELLED")


@pytest.mark.parametrize(
    ("remaining", "status"),
    [
        (0.0, grpc.StatusCode.DEADLINE_EXCEEDED),
        (0.01, grpc.StatusCode.DEADLINE_EXCEEDED),
        (30.0, grpc.StatusCode.CANCELLED),
        (None, grpc.StatusCode.CANCELLED),
    ],
)
def test_a_call_ended_near_its_deadline_is_logged_as_deadline_exceeded(
    remaining: float | None, status: grpc.StatusCode
) -> None:
    assert early_end_status(remaining) == status


async def test_vendor_calls_get_the_callers_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []

    async def measure(self: ServiceHandler, request: Message, context: CallContext) -> Message:
        seen.append(context.vendor_timeout(600.0))
        raise errors.NotFoundError("measured")

    replace_rpc(monkeypatch, measure)
    rpc = contracts.find_rpc(RPC)
    async with Harness() as harness:
        assert harness.channel is not None
        requests = requests_of(rpc, {}, harness.tenant)
        for timeout in (30.0, None):
            with pytest.raises(grpc.aio.AioRpcError):
                await invoke(harness.channel, rpc, requests, timeout=timeout)
    with_deadline, without_deadline = seen
    # Cut to what the caller still waits. gRPC rounds the timeout it sends up (to three
    # significant digits), so the service may see up to 30.1 s of the caller's 30.
    assert 0 < with_deadline < 30.1
    assert without_deadline == 600.0  # the vendor default


# -- the vendor client turns HTTP failures into those errors --------------------------


class FakeServicerContext:
    """Just enough of ``grpc.aio.ServicerContext`` for a ``CallContext``."""

    def __init__(self, remaining: float | None) -> None:
        self.remaining = remaining

    def time_remaining(self) -> float | None:
        return self.remaining


def call_context(remaining: float | None = None) -> CallContext:
    tenant = TenantConfig(
        "com.example.test",
        {"api-base-url": "https://vendor.test/api", "api-key": Secret(API_KEY)},
    )
    servicer = cast(grpc.aio.ServicerContext[Any, Any], FakeServicerContext(remaining))
    return CallContext("/test/Method", "req-1", servicer, tenant)


def vendor_answering(answer: Callable[[httpx.Request], httpx.Response]) -> VendorClient:
    return VendorClient(timeout=30.0, transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, errors.NotFoundError),
        (401, errors.PermissionDeniedError),
        (403, errors.PermissionDeniedError),
        (429, errors.VendorUnavailableError),
        (503, errors.VendorUnavailableError),
    ],
)
async def test_vendor_http_errors_map_to_integration_errors(
    status: int, error: type[Exception]
) -> None:
    vendor = vendor_answering(lambda request: httpx.Response(status))
    with pytest.raises(error):
        await vendor.request_json(call_context(), "GET", "/users/42")
    await vendor.aclose()


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (httpx.ReadTimeout("slow"), errors.VendorTimeoutError),
        (httpx.ConnectError("refused"), errors.VendorUnavailableError),
    ],
)
async def test_vendor_transport_failures_map_to_integration_errors(
    failure: Exception, error: type[Exception]
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    vendor = vendor_answering(fail)
    with pytest.raises(error):
        await vendor.request_json(call_context(), "GET", "/users/42")
    await vendor.aclose()


async def test_vendor_requests_carry_the_tenant_credentials_and_deadline() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"ok": True})

    vendor = vendor_answering(answer)
    assert await vendor.request_json(call_context(remaining=2.0), "GET", "/users/42") == {
        "ok": True
    }
    await vendor.aclose()
    [request] = sent
    assert str(request.url) == "https://vendor.test/api/users/42"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    timeouts = request.extensions["timeout"]
    assert 0 < timeouts["read"] < 2.0  # the caller's deadline, not the 30 s default


async def test_a_vendor_not_found_reaches_the_caller_as_not_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def lookup(self: ServiceHandler, request: Message, context: CallContext) -> Message:
        await self.vendor.request_json(context, "GET", "/users/42")
        raise AssertionError("the vendor answered 404")

    replace_rpc(monkeypatch, lookup)
    vendor = vendor_answering(lambda request: httpx.Response(404))
    async with Harness(vendor=vendor) as harness:
        failure = await failed_call(harness)
    assert failure.code() == grpc.StatusCode.NOT_FOUND
