"""Shutdown under load: accepted calls finish, later ones are refused, none hangs.

In-process, the server is stopped while calls wait on the vendor; in the heavy set,
the real command (``python -m <package> serve``) gets SIGTERM while 64 clients call
it, and must exit 0 within its grace period.

"Accepted" means the service started to handle the call (its call pipeline logs
every such call, by request id). gRPC itself may also hold calls that arrived but
were not handed to the service yet; on shutdown it ends those with ``CANCELLED``
instead of ``UNAVAILABLE`` (a gRPC core bug: https://github.com/grpc/grpc/issues/41785).
The tests allow that status only for calls the service provably never saw.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import sys
from collections import Counter
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message

from {{ cookiecutter.package_name }}.settings import (
    Settings,
)
from {{ cookiecutter.package_name }}.testing import (
    sample_tenant,
)

from .support import (
    MANIFEST_REQUEST,
    SERVICE_KEY,
    FakeVendor,
    Recorder,
    Tenant,
    assert_no_secrets,
    core_tenants,
    echoed,
    manifest_stub,
    records,
    serving,
)

PACKAGE = "{{ cookiecutter.package_name }}"
PROJECT = Path(__file__).resolve().parents[2]
GRACE = 10.0
# The in-process test releases the vendor itself, so its calls end long before this; a
# grace period that a starved CI machine could outlast would fail the test for nothing.
IN_PROCESS_GRACE = 120.0
SERVING = re.compile(r"serving \d+ services on \S+:(\d+) ")  # the service's start line
REFUSED = grpc.StatusCode.UNAVAILABLE
NEVER_STARTED = grpc.StatusCode.CANCELLED  # see the module's docstring


# How long a new call gets before the next one starts. A call normally ends well within
# it; one that arrived as the server stopped listening may be held by gRPC until the
# shutdown is over, which waits for the accepted calls, which wait for this test.
NEXT_CALL_AFTER = 0.05


async def call_until_refused(
    stub: grpc.aio.UnaryUnaryMultiCallable[Message, Message], tenant: Tenant, vendor: FakeVendor
) -> list[tuple[str, asyncio.Future[grpc.StatusCode]]]:
    """New calls until one is refused; each call's request id and status, as a future.

    Each call starts when the one before ends, or ``NEXT_CALL_AFTER`` seconds after it
    started. Any call the service started must succeed. A call gRPC holds through the
    shutdown ends only after the test has released the accepted calls.
    """
    refused = asyncio.Event()

    async def call(rid: str) -> grpc.StatusCode:
        try:
            response = await stub(
                tenant.request(vendor), timeout=60, metadata=(("x-request-id", rid),)
            )
        except grpc.aio.AioRpcError as error:
            assert_no_secrets(error.details() or "")
            if error.code() == REFUSED:
                refused.set()
            return error.code()
        assert echoed(response) == tenant.expected(vendor)
        return grpc.StatusCode.OK

    calls: list[tuple[str, asyncio.Future[grpc.StatusCode]]] = []
    while not refused.is_set():
        rid = f"later-{len(calls)}"
        calls.append((rid, asyncio.ensure_future(call(rid))))
        await asyncio.wait([calls[-1][1]], timeout=NEXT_CALL_AFTER)
    return calls


async def test_stop_finishes_accepted_calls_and_refuses_new_ones(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
) -> None:
    held = core_tenants(mode="hold")  # the vendor answers these once released
    quick = core_tenants()[0]
    callers = held * 4
    accepted: list[asyncio.Future[Message]] = []
    later: list[tuple[str, asyncio.Future[grpc.StatusCode]]] = []
    async with serving(monkeypatch, recorder, vendor_timeout=60.0) as harness:
        assert harness.channel is not None
        try:
            stub = manifest_stub(harness.channel)
            accepted = [
                asyncio.ensure_future(stub(tenant.request(fake_vendor), timeout=60))
                for tenant in callers
            ]
            # Every one of them is being served: its vendor request is under way.
            await fake_vendor.wait_for(lambda: fake_vendor.in_flight == len(accepted))
            stopping = asyncio.ensure_future(harness.server.stop(grace=IN_PROCESS_GRACE))
            later = await call_until_refused(stub, quick, fake_vendor)
            # The accepted calls are still waiting for the vendor, and now get its answer.
            assert not any(call.done() for call in accepted)
            fake_vendor.release.set()
            responses = await asyncio.gather(*accepted)
            await stopping
            outcomes = [(rid, await status) for rid, status in later]
        finally:  # on a failure, leave nothing running for the next test
            fake_vendor.release.set()
            for call in accepted:
                call.cancel()
            for _, status in later:
                status.cancel()
    for tenant, response in zip(callers, responses, strict=True):
        assert echoed(response) == tenant.expected(fake_vendor)
    assert REFUSED in {code for _, code in outcomes}
    for rid, code in outcomes:
        assert code in (grpc.StatusCode.OK, REFUSED, NEVER_STARTED), (rid, code)
        if code != grpc.StatusCode.OK:
            assert rid not in recorder.started, (rid, code)
    await fake_vendor.wait_for(lambda: fake_vendor.open_connections == 0)


async def test_stop_does_not_wait_out_the_grace_period_for_calls_never_handed_over(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
) -> None:
    """gRPC's own stop also waits for calls it never handed to the service (see the
    module's docstring); once the service's calls are done, the stop ends them."""
    tenant = core_tenants(mode="hold")[0]
    never_handed_over = asyncio.Event()  # a call gRPC holds until it cancels every call
    cancelled_at_once: list[float | None] = []
    settings = Settings(insecure=True)
    async with serving(monkeypatch, recorder, settings=settings, vendor_timeout=60.0) as harness:
        assert harness.channel is not None
        server = harness.server
        grpc_stop = server._server.stop

        async def stop_holding_a_call(grace: float | None) -> None:
            if grace is None:
                cancelled_at_once.append(grace)
                never_handed_over.set()
            await grpc_stop(grace)
            await never_handed_over.wait()

        monkeypatch.setattr(server._server, "stop", stop_holding_a_call)
        try:
            call = asyncio.ensure_future(
                manifest_stub(harness.channel)(tenant.request(fake_vendor), timeout=60)
            )
            await fake_vendor.wait_for(lambda: fake_vendor.in_flight == 1)
            stopping = asyncio.ensure_future(server.stop(grace=IN_PROCESS_GRACE))
            await asyncio.wait([stopping], timeout=0.5)
            # The service's own call is still running: nothing has been cut short.
            assert not stopping.done()
            assert cancelled_at_once == []
            fake_vendor.release.set()
            response = await call
            await asyncio.wait_for(stopping, 30)  # far sooner than the grace period
        finally:  # before the harness stops the server, which would wait for the held call
            fake_vendor.release.set()
            never_handed_over.set()
    assert echoed(response) == tenant.expected(fake_vendor)
    assert cancelled_at_once == [None]


async def start_service(environment: dict[str, str]) -> tuple[asyncio.subprocess.Process, int]:
    """``python -m <package> serve`` on a free port; returns the process and its port."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        PACKAGE,
        "serve",
        "--insecure",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--grace-period",
        str(GRACE),
        cwd=PROJECT,
        env=environment,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen: list[bytes] = []
    while True:
        line = await asyncio.wait_for(process.stderr.readline(), 60)
        assert line, "the service exited before serving: " + b"".join(seen).decode()
        seen.append(line)
        listening = SERVING.match(json.loads(line)["msg"])
        if listening:
            return process, int(listening.group(1))


@pytest.mark.heavy
async def test_sigterm_under_load_exits_cleanly(log_lines: io.StringIO) -> None:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(PROJECT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "INTEGRATION_PRESHARED_KEY": SERVICE_KEY,
    }
    process, port = await start_service(environment)
    assert process.stderr is not None
    log_task = asyncio.ensure_future(process.stderr.read())
    request = json_format.ParseDict(
        {"configuration": sample_tenant(**{"preshared-key": SERVICE_KEY})}, MANIFEST_REQUEST()
    )
    outcomes: dict[str, grpc.StatusCode] = {}
    enough = asyncio.Event()

    async def client(number: int, channel: grpc.aio.Channel) -> None:
        """Calls until refused; every call has a deadline, so none can hang the test."""
        stub = manifest_stub(channel)
        for sequence in range(1_000_000):
            rid = f"client{number}-{sequence}"
            try:
                await stub(request, timeout=GRACE + 30, metadata=(("x-request-id", rid),))
                outcomes[rid] = grpc.StatusCode.OK
            except grpc.aio.AioRpcError as error:
                assert_no_secrets(error.details() or "")
                outcomes[rid] = error.code()
                if error.code() == REFUSED:
                    return
            if len(outcomes) >= 1000:
                enough.set()

    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for _ in range(4)]
    clients = [asyncio.ensure_future(client(n, channels[n % 4])) for n in range(64)]
    await asyncio.wait_for(enough.wait(), 60)
    process.send_signal(signal.SIGTERM)
    exit_code = await asyncio.wait_for(process.wait(), GRACE + 5)
    await asyncio.wait_for(asyncio.gather(*clients), 30)
    for channel in channels:
        await channel.close()
    log = (await log_task).decode()

    assert exit_code == 0, log
    assert_no_secrets(log)
    entries = records(log)
    assert [e for e in entries if e["level"] in ("error", "critical")] == []
    assert entries[-1]["msg"] == "stopped"
    # Every call the service started was completed: logged OK, and OK for its caller.
    started = {e["request_id"]: e["status"] for e in entries if "request_id" in e}
    assert set(started.values()) == {"OK"}
    counts = Counter(outcomes.values())
    assert set(counts) <= {grpc.StatusCode.OK, REFUSED, NEVER_STARTED}, counts
    for rid, code in outcomes.items():
        assert (rid in started) == (code == grpc.StatusCode.OK), (rid, code)
    assert counts[REFUSED] == 64  # each client went on until it was refused
    summary = ", ".join(f"{count} {code.name}" for code, count in counts.most_common())
    print(f"\nreliability shutdown: SIGTERM under load: {summary}; exit code {exit_code}")
