"""Lifecycle: SIGTERM drains in-flight calls and exits 0; health says so first; workers.

The signal tests run the real ``serve`` command in a child process (see
``service_process.py``); the in-flight call is held by ``gated_server.py`` until the
test opens its gate, so nothing depends on timing.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.rpc_caller import (
    invoke,
    requests_of,
)
from {{ cookiecutter.package_name }}.server import (
    check_health,
    probe_address,
)
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.testing import (
    Harness,
    sample_tenant,
)

from .gated_server import GATED_RPC, WAITING
from .service_process import ServiceProcess, free_port, free_ports, message, serving

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
REFUSED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


async def health_status(address: str) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        response = await check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        status: int = response.status
        return status


async def next_status(watch: grpc.aio.UnaryStreamCall[Any, Any]) -> int:
    response = await watch.read()
    assert isinstance(response, health_pb2.HealthCheckResponse)
    status: int = response.status
    return status


async def call_manifest(address: str) -> Message:
    rpc = contracts.find_rpc(GATED_RPC)
    async with grpc.aio.insecure_channel(address) as channel:
        [response] = await invoke(channel, rpc, requests_of(rpc, {}, sample_tenant()), timeout=30)
        return response


async def test_sigterm_lets_in_flight_calls_finish_then_exits_0() -> None:
    port, health_port = free_ports(2)
    address = f"127.0.0.1:{port}"
    arguments = ["serve", "--insecure", "--host", "127.0.0.1", "--port", str(port)]
    arguments += ["--health-port", str(health_port), "--grace-period", "60"]
    async with ServiceProcess(*arguments, module="tests.gated_server") as service:
        await service.wait_for_log(serving)
        assert await health_status(f"127.0.0.1:{health_port}") == SERVING

        in_flight = asyncio.ensure_future(call_manifest(address))
        await service.wait_for_log(message(WAITING))
        service.send_signal(signal.SIGTERM)
        [draining] = await service.wait_for_log(message("refusing new calls"))
        assert "1 in flight" in draining["msg"]

        # Health went NOT_SERVING first, and the health port keeps saying so while
        # the call drains (that is what a readiness probe sees).
        assert await health_status(f"127.0.0.1:{health_port}") == NOT_SERVING
        # New calls are refused, without reaching a handler: UNAVAILABLE, or CANCELLED
        # for one that gRPC accepted the very moment it stopped listening.
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call_manifest(address)
        assert refused.value.code() in REFUSED
        assert len(await service.wait_for_log(message(WAITING))) == 1
        assert not in_flight.done()

        await service.send_line()  # opens the gate
        response = await in_flight  # the in-flight call finished, and succeeded
        assert response.ByteSize() > 0
        assert await service.exit_code() == 0
        await service.wait_for_log(message("stopped"))


async def test_workers_share_the_port_and_stop_cleanly() -> None:
    port = free_port()
    arguments = ["serve", "--workers", "2", "--insecure", "--host", "127.0.0.1"]
    async with ServiceProcess(*arguments, "--port", str(port)) as service:
        await service.wait_for_log(serving, count=2)
        for _ in range(4):
            response = await call_manifest(f"127.0.0.1:{port}")
            assert response.ByteSize() > 0
        service.send_signal(signal.SIGTERM)
        assert await service.exit_code() == 0
        await service.wait_for_log(message("stopped"), count=2)
        await service.wait_for_log(message("all 2 workers stopped"))


async def test_shutdown_delay_serves_while_health_is_not_serving() -> None:
    settings = Settings(insecure=True, shutdown_delay=600.0)
    async with Harness(settings) as harness:
        assert harness.channel is not None
        watch = harness.channel.unary_stream(
            "/grpc.health.v1.Health/Watch",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )(health_pb2.HealthCheckRequest(service=""))
        assert await next_status(watch) == SERVING
        stopping = asyncio.ensure_future(harness.server.stop(grace=5.0))
        assert await next_status(watch) == NOT_SERVING
        # Load balancers have been told; calls are still answered meanwhile.
        [response] = await harness.call(GATED_RPC, {})
        assert response.ByteSize() > 0
        assert not stopping.done()

        harness.server.stop_now()  # what a second SIGTERM does
        await stopping
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await harness.call(GATED_RPC, {}, timeout=10)
        assert refused.value.code() in REFUSED


async def test_healthcheck_command_reads_the_health_port() -> None:
    settings = Settings(insecure=True, health_port=free_port())
    async with Harness(settings) as harness:
        address = f"127.0.0.1:{harness.server.health_port}"
        assert await asyncio.to_thread(check_health, address, 30.0) == 0
        await harness.server.health.set("", NOT_SERVING)
        assert await asyncio.to_thread(check_health, address, 30.0) == 1
    assert await asyncio.to_thread(check_health, address, 30.0) == 1  # nobody listening


def test_healthcheck_finds_its_address_in_the_environment() -> None:
    assert probe_address({"INTEGRATION_HEALTH_PORT": "8081"}) == "127.0.0.1:8081"
    insecure = {"INTEGRATION_INSECURE": "true", "INTEGRATION_PORT": "6000"}
    assert probe_address(insecure) == "127.0.0.1:6000"
    # A TLS service is probed on its health port only: without one there is no address.
    assert probe_address({"INTEGRATION_TLS_CERT": "cert.pem"}) is None
