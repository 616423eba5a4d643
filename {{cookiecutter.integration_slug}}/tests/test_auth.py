"""The opt-in shared secret: ``INTEGRATION_PRESHARED_KEY`` against each call's ``preshared-key``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from {{ cookiecutter.package_name }}.parameters import PRESHARED_KEY
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.testing import (
    TEST_SECRETS,
    Harness,
    sample_tenant,
)

RPC = "IntegrationService.GetManifest"
SERVICE_KEY = TEST_SECRETS[PRESHARED_KEY]


@pytest.fixture
async def guarded() -> AsyncIterator[Harness]:
    """The integration started with a shared secret (the test tenant carries the same)."""
    async with Harness(Settings(insecure=True, preshared_key=SERVICE_KEY)) as running:
        yield running


def without_key() -> dict[str, Any]:
    tenant = sample_tenant()
    del tenant["values"][PRESHARED_KEY]
    return tenant


async def refused(harness: Harness, tenant: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await harness.call(RPC, {}, tenant=tenant)
    return error.value


async def test_the_right_key_passes(guarded: Harness) -> None:
    [response] = await guarded.call(RPC, {})
    assert response.ByteSize() > 0


async def test_a_wrong_key_is_unauthenticated(guarded: Harness) -> None:
    wrong = "wrong-preshared-key-77"
    error = await refused(guarded, sample_tenant(**{PRESHARED_KEY: wrong}))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    details = error.details() or ""
    assert PRESHARED_KEY in details
    assert wrong not in details
    assert SERVICE_KEY not in details


async def test_a_missing_key_is_unauthenticated(guarded: Harness) -> None:
    error = await refused(guarded, without_key())
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_key_that_differs_only_in_length_is_unauthenticated(guarded: Harness) -> None:
    for near_miss in (SERVICE_KEY[:-1], SERVICE_KEY + "x", ""):
        error = await refused(guarded, sample_tenant(**{PRESHARED_KEY: near_miss}))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED, near_miss


async def test_the_key_is_checked_before_the_configuration(guarded: Harness) -> None:
    # A stranger learns nothing about the expected configuration: an unknown key
    # with a wrong secret is UNAUTHENTICATED, not INVALID_ARGUMENT.
    tenant = sample_tenant(**{PRESHARED_KEY: "wrong"})
    tenant["values"]["no-such-parameter"] = {"isOverridden": False, "stringValue": "x"}
    error = await refused(guarded, tenant)
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_health_and_reflection_stay_open(guarded: Harness) -> None:
    assert guarded.channel is not None
    check = guarded.channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    health = await check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    info = guarded.channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    answers = [
        answer
        async for answer in info(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    ]
    assert answers[0].list_services_response.service


async def test_without_a_service_key_any_configuration_passes(harness: Harness) -> None:
    [response] = await harness.call(RPC, {}, tenant=without_key())
    assert response.ByteSize() > 0
    [response] = await harness.call(RPC, {}, tenant=sample_tenant(**{PRESHARED_KEY: "other"}))
    assert response.ByteSize() > 0
