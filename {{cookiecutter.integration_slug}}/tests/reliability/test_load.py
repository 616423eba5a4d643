"""Many tenants' calls at once: nothing lost, every answer to the tenant that asked.

A filled handler (see ``support.echo_tenant``) calls the fake vendor through
the project's vendor client and echoes the caller's bundle identifier, base URL and
the vendor account of its API key. Callers with a wrong or missing shared key are
mixed in: each of them must be refused, and none may reach the vendor.
"""

from __future__ import annotations

import asyncio
import io
import random
import time
from collections import Counter
from dataclasses import dataclass, field, replace

import grpc
import pytest
from prometheus_client import REGISTRY

from {{ cookiecutter.package_name }}.parameters import (
    PARAMETERS,
)
from {{ cookiecutter.package_name }}.tenant_config import (
    CACHE_SIZE,
    TenantConfigParser,
)
from {{ cookiecutter.package_name }}.testing import (
    Harness,
)

from .support import (
    MANIFEST,
    FakeVendor,
    Recorder,
    Tenant,
    assert_no_secrets,
    configuration_of,
    core_tenants,
    echoed,
    manifest_stub,
    secret,
    serving,
)

INTRUDER_KEY = secret("rel-intruder-key-5c3a")


def intruders(tenants: list[Tenant]) -> list[Tenant]:
    """Callers that must never get in, with a real tenant's configuration otherwise:
    a wrong shared key, none at all, and the right one sent as plain text."""
    return [
        variant
        for tenant in tenants[:2]
        for variant in (
            replace(tenant, preshared_key=INTRUDER_KEY),
            replace(tenant, preshared_key=""),
            replace(tenant, preshared_as_text=True),
        )
    ]


@dataclass
class LoadResult:
    calls: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    per_tenant: Counter[Tenant] = field(default_factory=Counter)
    seconds: float = 0.0


def calls_counted(code: str) -> float:
    value = REGISTRY.get_sample_value(
        "integration_rpc_calls_total", {"method": MANIFEST.path, "code": code}
    )
    return value or 0.0


async def run_load(
    harness: Harness,
    vendor: FakeVendor,
    tenants: list[Tenant],
    *,
    calls: int,
    clients: int,
    channels: int = 4,
    seed: int = 8,
) -> LoadResult:
    """``calls`` legitimate calls (round robin over ``tenants``) plus one intruder call in
    sixteen, in a seeded random order, from ``clients`` concurrent callers."""
    legit = [tenants[index % len(tenants)] for index in range(calls)]
    strangers = intruders(tenants)
    jobs = legit + [strangers[index % len(strangers)] for index in range(calls // 16)]
    random.Random(seed).shuffle(jobs)  # noqa: S311 - a reproducible order, not cryptography
    requests = {tenant: tenant.request(vendor) for tenant in {*tenants, *strangers}}
    expected = {tenant: tenant.expected(vendor) for tenant in tenants}
    result = LoadResult()
    opened = [grpc.aio.insecure_channel(harness.address) for _ in range(channels)]
    stubs = [manifest_stub(channel) for channel in opened]

    async def client(number: int) -> None:
        stub = stubs[number % channels]
        while jobs:
            tenant = jobs.pop()
            try:
                response = await stub(requests[tenant], timeout=30)
            except grpc.aio.AioRpcError as error:
                details = error.details() or ""
                assert_no_secrets(details)
                if tenant in expected or error.code() != grpc.StatusCode.UNAUTHENTICATED:
                    result.errors.append(f"{tenant.bundle}: {error.code().name}: {details}")
                else:
                    result.refused += 1
                continue
            if tenant not in expected:
                result.errors.append(f"an intruder got in as {tenant.bundle}")
            elif echoed(response) != expected[tenant]:
                result.errors.append(f"{tenant.bundle} got {echoed(response)}")
            else:
                result.calls += 1
                result.per_tenant[tenant] += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(client(number) for number in range(clients)))
    finally:
        result.seconds = time.perf_counter() - started
        for channel in opened:
            await channel.close()
    return result


async def check_load(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
    tenants: list[Tenant],
    *,
    calls: int,
    clients: int,
) -> LoadResult:
    ok_before, refused_before = calls_counted("OK"), calls_counted("UNAUTHENTICATED")
    async with serving(monkeypatch, recorder) as harness:
        result = await run_load(harness, fake_vendor, tenants, calls=calls, clients=clients)
    assert result.errors == []
    assert result.calls == calls
    assert result.refused == calls // 16
    # Nothing lost, nothing extra: the vendor answered each accepted call exactly once,
    # for the account and base URL of the tenant that made it, and no intruder's call.
    expected_vendor: Counter[tuple[str, str]] = Counter()
    for tenant, count in result.per_tenant.items():
        expected_vendor[(tenant.account, tenant.tag)] += count
    assert fake_vendor.served == expected_vendor
    assert fake_vendor.received == calls
    # The metrics saw every call, with its status.
    assert calls_counted("OK") - ok_before == calls
    assert calls_counted("UNAUTHENTICATED") - refused_before == calls // 16
    assert_no_secrets(log_lines.getvalue())
    return result


async def test_concurrent_tenants_each_get_their_own_answer(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
) -> None:
    await check_load(
        monkeypatch, fake_vendor, recorder, log_lines, core_tenants(), calls=160, clients=16
    )


@pytest.mark.heavy
@pytest.mark.timeout(300)  # about a minute on two cores; the bound only catches a hang
async def test_ten_thousand_calls_from_64_clients(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendor,
    recorder: Recorder,
    log_lines: io.StringIO,
) -> None:
    # Besides the eight core tenants, more bundle identifiers than the configuration
    # cache holds, so entries are evicted and re-parsed throughout the run.
    tenants = core_tenants()
    for index in range(CACHE_SIZE + 88):
        model = tenants[index % 8]
        tenants.append(Tenant(f"com.example.churn{index}", model.api_key, model.tag))
    result = await check_load(
        monkeypatch, fake_vendor, recorder, log_lines, tenants, calls=10_000, clients=64
    )
    print(
        f"\nreliability load: {result.calls} calls + {result.refused} refused intruder calls,"
        f" {len(result.errors)} errors, {len(tenants)} tenants, 64 clients,"
        f" {result.seconds:.1f} s ({result.calls / result.seconds:.0f} calls/s)"
    )


def test_configuration_cache_never_mixes_tenants() -> None:
    """More tenants than the cache holds, interleaved; many differ from another in one
    value only. Each parse is the tenant's own."""
    parser = TenantConfigParser(PARAMETERS)
    vendor = FakeVendor()
    keys = [secret(f"rel-api-key-cache{index}-{index * 31:04d}") for index in range(13)]
    tenants = [  # 7 x 11 x 13 combinations: all different for fewer than 1001 tenants
        Tenant(f"com.example.cache{index % 7}", keys[index % 13], f"shop{index % 11}")
        for index in range(CACHE_SIZE + CACHE_SIZE // 2)
    ]
    messages = [tenant.request(vendor) for tenant in tenants]
    order = list(range(len(tenants))) * 2
    random.Random(5).shuffle(order)  # noqa: S311 - a reproducible order, not cryptography
    for index in order:
        parsed = parser.parse(configuration_of(messages[index]))
        assert parsed.bundle_identifier == tenants[index].bundle
        assert parsed.string("api-base-url") == tenants[index].base_url(vendor)
        assert parsed.secret("api-key").reveal() == tenants[index].api_key
