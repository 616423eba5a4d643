"""Health checking and server reflection are served, and open without credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator

from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.testing import Harness

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"


async def test_every_service_is_serving(harness: Harness) -> None:
    assert harness.channel is not None
    check = harness.channel.unary_unary(
        HEALTH_CHECK,
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    for service in ("", *contracts.service_names()):
        response = await check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING, service


async def test_reflection_lists_the_services(harness: Harness) -> None:
    assert harness.channel is not None
    info = harness.channel.stream_stream(
        REFLECTION,
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )

    async def one_request() -> AsyncIterator[reflection_pb2.ServerReflectionRequest]:
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    responses = [response async for response in info(one_request())]
    listed = {service.name for service in responses[0].list_services_response.service}
    assert set(contracts.service_names()) <= listed
    assert "grpc.health.v1.Health" in listed
