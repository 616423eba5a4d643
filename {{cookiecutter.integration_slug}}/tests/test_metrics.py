"""Prometheus metrics: calls and errors by method and status, latency, calls in flight."""

from __future__ import annotations

import asyncio

import grpc
import httpx
import pytest
from prometheus_client import REGISTRY

from {{ cookiecutter.package_name }} import (
    contracts,
    metrics,
)
from {{ cookiecutter.package_name }}.parameters import PRESHARED_KEY
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.testing import (
    TEST_SECRETS,
    Harness,
    sample_tenant,
)

RPC = "IntegrationService.GetManifest"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_calls_errors_and_latency_are_counted_per_method() -> None:
    method = contracts.find_rpc(RPC).path
    before_ok = sample("integration_rpc_calls_total", method=method, code="OK")
    before_denied = sample("integration_rpc_calls_total", method=method, code="UNAUTHENTICATED")
    before_latency = sample("integration_rpc_duration_seconds_count", method=method)
    before_in_flight = sample("integration_rpc_in_flight")

    settings = Settings(insecure=True, preshared_key=TEST_SECRETS[PRESHARED_KEY])
    async with Harness(settings) as harness:
        await harness.call(RPC, {})
        await harness.call(RPC, {})
        with pytest.raises(grpc.aio.AioRpcError):
            await harness.call(RPC, {}, tenant=sample_tenant(**{PRESHARED_KEY: "wrong"}))

    assert sample("integration_rpc_calls_total", method=method, code="OK") == before_ok + 2
    denied = sample("integration_rpc_calls_total", method=method, code="UNAUTHENTICATED")
    assert denied == before_denied + 1
    assert sample("integration_rpc_duration_seconds_count", method=method) == before_latency + 3
    assert sample("integration_rpc_in_flight") == before_in_flight  # every call ended


async def test_metrics_are_served_for_prometheus() -> None:
    server = metrics.serve(0, host="127.0.0.1")
    try:
        async with Harness() as harness:
            await harness.call(RPC, {})
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        response = await asyncio.to_thread(httpx.get, url, timeout=10)
    finally:
        server.shutdown()
    assert response.status_code == 200
    method = contracts.find_rpc(RPC).path
    assert 'integration_rpc_calls_total{code="OK",method="' + method + '"}' in response.text
    assert "integration_rpc_duration_seconds_bucket" in response.text
    assert "integration_rpc_in_flight" in response.text
