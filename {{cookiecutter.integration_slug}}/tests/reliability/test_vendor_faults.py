"""A slow or failing vendor: the caller gets the mapped status, the others keep going.

Each failing tenant's ``api-base-url`` points at the fake vendor in a failing mode
(or at a closed port), while healthy tenants call at the same time. Afterwards no
asyncio task, socket or vendor connection may be left behind.
"""

from __future__ import annotations

import asyncio
import io
from collections import Counter

import grpc
import pytest

from .support import (
    FakeVendor,
    ManifestStub,
    Recorder,
    Tenant,
    assert_no_secrets,
    core_tenants,
    echoed,
    live_tasks,
    manifest_stub,
    open_fds,
    records,
    refusing_port,
    secret,
    serving,
    settle,
)

VENDOR_TIMEOUT = 0.5  # the vendor client's own timeout; callers allow far more
CALLER_DEADLINE = 20.0

# Fault -> the status the caller must get, and words its message must contain (so we
# know the integration answered it, not the caller's own deadline).
FAULTS = {
    "slow": (grpc.StatusCode.DEADLINE_EXCEEDED, "did not answer"),
    "fail": (grpc.StatusCode.UNAVAILABLE, "503"),
    "reset": (grpc.StatusCode.UNAVAILABLE, "cannot reach"),
    "refused": (grpc.StatusCode.UNAVAILABLE, "cannot reach"),
}


def faulty_tenant(fault: str, refusing_port: int) -> Tenant:
    key = secret(f"rel-api-key-{fault}-0f0f")
    if fault == "refused":
        return Tenant("com.example.refused", key, "x", url=f"http://127.0.0.1:{refusing_port}")
    return Tenant(f"com.example.{fault}", key, f"{fault}-shop", mode=fault)


async def fault_round(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    *,
    rounds: int,
    healthy_callers: int,
) -> Counter[str]:
    """``rounds`` calls of each faulty tenant while healthy tenants call; returns outcomes."""
    healthy = core_tenants()
    outcomes: Counter[str] = Counter()
    faults_done = asyncio.Event()

    async def call_faulty(stub: ManifestStub, tenant: Tenant, fault: str) -> None:
        code, words = FAULTS[fault]
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub(tenant.request(fake_vendor), timeout=CALLER_DEADLINE)
        details = raised.value.details() or ""
        assert raised.value.code() == code, (fault, details)
        assert words in details, (fault, details)
        assert_no_secrets(details)
        outcomes[fault] += 1

    async def call_healthy(stub: ManifestStub, number: int) -> None:
        # Keeps calling until the faults are done: each call is answered, correctly.
        index = number
        while not faults_done.is_set() or index == number:
            tenant = healthy[index % len(healthy)]
            response = await stub(tenant.request(fake_vendor), timeout=CALLER_DEADLINE)
            assert echoed(response) == tenant.expected(fake_vendor)
            outcomes["healthy"] += 1
            index += 1

    async def faults(stub: ManifestStub, faulty: dict[str, Tenant]) -> None:
        try:
            await asyncio.gather(
                *(
                    call_faulty(stub, tenant, fault)
                    for fault, tenant in faulty.items()
                    for _ in range(rounds)
                )
            )
        finally:
            faults_done.set()

    with refusing_port() as port:
        faulty = {fault: faulty_tenant(fault, port) for fault in FAULTS}
        async with serving(monkeypatch, recorder, vendor_timeout=VENDOR_TIMEOUT) as harness:
            assert harness.channel is not None
            stub = manifest_stub(harness.channel)
            await asyncio.gather(
                faults(stub, faulty), *(call_healthy(stub, n) for n in range(healthy_callers))
            )
            # Every request the vendor left hanging was abandoned by the client: none is
            # still waiting, none was silently kept open.
            await fake_vendor.wait_for(lambda: fake_vendor.in_flight == 0)
            assert len(fake_vendor.aborted) == rounds
    return outcomes


async def check_no_leaks(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
    *,
    rounds: int,
    healthy_callers: int,
) -> None:
    # A first round: gRPC, httpx and asyncio create some process-wide state (pollers,
    # thread pools) once, on first use. Leaks are what a further round adds.
    await fault_round(monkeypatch, fake_vendor, recorder, rounds=1, healthy_callers=1)
    await fake_vendor.wait_for(lambda: fake_vendor.open_connections == 0)
    fake_vendor.aborted.clear()
    tasks_before, fds_before = live_tasks(fake_vendor.tasks), open_fds()

    outcomes = await fault_round(
        monkeypatch, fake_vendor, recorder, rounds=rounds, healthy_callers=healthy_callers
    )
    assert outcomes == Counter({**dict.fromkeys(FAULTS, rounds), "healthy": outcomes["healthy"]})
    assert outcomes["healthy"] >= healthy_callers

    # The integration has stopped: its vendor connections are closed, and no task or
    # file descriptor outlives it.
    await fake_vendor.wait_for(lambda: fake_vendor.open_connections == 0)
    assert await settle(lambda: live_tasks(fake_vendor.tasks) <= tasks_before), live_tasks(
        fake_vendor.tasks
    )
    assert await settle(lambda: open_fds() <= fds_before), (open_fds(), fds_before)
    # The faults are logged as the caller's status, never as a crash.
    assert [entry for entry in records(log_lines.getvalue()) if entry["level"] == "error"] == []


async def test_vendor_faults_are_mapped_and_nothing_leaks(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
) -> None:
    await check_no_leaks(monkeypatch, fake_vendor, recorder, log_lines, rounds=2, healthy_callers=4)


@pytest.mark.heavy
async def test_many_vendor_faults_under_load_leak_nothing(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
) -> None:
    await check_no_leaks(
        monkeypatch, fake_vendor, recorder, log_lines, rounds=12, healthy_callers=32
    )
