"""Bad input on the wire and in the configuration: always the right status, never a crash.

The fuzzer talks to every RPC of the contract over the raw wire (a generic gRPC
client sending bytes, no serializer), with seeded random bytes, truncated and
bit-flipped copies of a valid request. Whatever arrives, the caller gets a status
that says what is wrong with its request: ``INVALID_ARGUMENT`` for a malformed
message or configuration, never ``UNKNOWN`` or ``INTERNAL`` (which would mean the
service failed), and the service goes on serving the next valid call.

The vendor client of these tests answers every request 503, so a handler you have
filled in never reaches a real vendor from a fuzzed request.

Secrets: a value the server receives as a secret (``secureString``) must never come
back in a status message or reach the log. A corrupted message can shift a secret's
bytes into another place, e.g. a configuration key, which error messages do name: the
server cannot know those bytes were a secret, so the fuzzer checks the secrets of each
message as the server parses it, with secrets of its own (not the test tenant's).
"""

from __future__ import annotations

import copy
import io
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import json_format, message_factory
from google.protobuf.message import DecodeError

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.contracts import (
    Rpc,
)
from {{ cookiecutter.package_name }}.generated import (
    contract,
)
from {{ cookiecutter.package_name }}.parameters import (
    PARAMETERS,
)
from {{ cookiecutter.package_name }}.rpc_caller import (
    build_request,
    load_sample,
)
from {{ cookiecutter.package_name }}.settings import (
    Settings,
)
from {{ cookiecutter.package_name }}.tenant_config import (
    MAX_VALUE_BYTES,
    MAX_VALUES,
    Kind,
)
from {{ cookiecutter.package_name }}.testing import (
    Harness,
    sample_tenant,
)
from {{ cookiecutter.package_name }}.vendor import (
    VendorClient,
)

from .support import assert_no_secrets, records, secret

SEED = 20_240_8
# A request is malformed or its configuration is: the caller's fault, said as such.
# UNIMPLEMENTED (a stub), OK and the statuses of a filled handler are fine too. UNKNOWN
# and INTERNAL are not: they mean the service failed on input it should have refused.
FAILURES = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
SMALL_LIMIT = 64 * 1024


def manifest_rpc() -> Rpc:
    return contracts.find_rpc("IntegrationService.GetManifest")


def vendor_down() -> VendorClient:
    return VendorClient(transport=httpx.MockTransport(lambda request: httpx.Response(503)))


@pytest.fixture
async def service() -> AsyncIterator[Harness]:
    async with Harness(Settings(insecure=True), vendor_down()) as harness:
        yield harness


FUZZ_TENANT = sample_tenant(
    **{"preshared-key": "fuzz-preshared-key-31c7", "api-key": "fuzz-api-key-8e02"}
)


def valid_request(rpc: Rpc) -> bytes:
    """The RPC's sample request with a tenant, serialized (the first one of a stream)."""
    try:
        sample = load_sample(rpc)
    except FileNotFoundError:  # OnEvent: one sample per subscribed event
        sample = load_sample(rpc, contract.EVENT_SUBSCRIPTIONS[0])
    if isinstance(sample, list):
        sample = sample[0]
    return build_request(rpc, copy.deepcopy(sample), FUZZ_TENANT).SerializeToString()


def secrets_sent(rpc: Rpc, payload: bytes) -> set[str]:
    """The secrets ``payload`` carries where the server finds secrets: ``secureString``."""
    request_class = message_factory.GetMessageClass(rpc.descriptor.input_type)
    try:
        request = request_class.FromString(payload)
    except DecodeError:
        return set()
    document = json_format.MessageToDict(request)
    values = document.get("configuration", {}).get("values", {})
    found = {value.get("secureString", {}).get("decrypted", "") for value in values.values()}
    return {text for text in found if len(text) >= 4}


async def send_raw(
    channel: grpc.aio.Channel, rpc: Rpc, payload: bytes, log_lines: io.StringIO | None = None
) -> grpc.StatusCode:
    """Send ``payload`` as the request's bytes, whatever the RPC's kind; the final status.

    Neither the status message nor what the call logged (when ``log_lines`` is given)
    may hold a secret the payload carries.
    """
    sent = secrets_sent(rpc, payload)
    logged_before = log_lines.seek(0, io.SEEK_END) if log_lines is not None else 0
    code, details = await _exchange(channel, rpc, payload)
    assert_no_secrets(details)
    assert not any(value in details for value in sent), "a secret was echoed"
    if log_lines is not None:
        log_lines.seek(logged_before)
        logged = log_lines.read()  # what this call logged (the calls are sequential)
        assert not any(value in logged for value in sent), "a secret reached the log"
    assert code not in FAILURES, (rpc.label, payload[:64], details)
    assert code != grpc.StatusCode.DEADLINE_EXCEEDED, (rpc.label, "hung")
    return code


def _raw(data: bytes) -> bytes:
    return data  # no (de)serialization: the bytes go on the wire as they are


async def _exchange(
    channel: grpc.aio.Channel, rpc: Rpc, payload: bytes
) -> tuple[grpc.StatusCode, str]:
    """One call of any kind with ``payload`` as its (only) request: status and message."""
    codec: dict[str, Any] = {"request_serializer": _raw, "response_deserializer": _raw}
    descriptor = rpc.descriptor
    try:
        if descriptor.client_streaming:
            stream = iter([payload])
            if descriptor.server_streaming:
                async for _ in channel.stream_stream(rpc.path, **codec)(stream, timeout=10):
                    pass
            else:
                await channel.stream_unary(rpc.path, **codec)(stream, timeout=10)
        elif descriptor.server_streaming:
            async for _ in channel.unary_stream(rpc.path, **codec)(payload, timeout=10):
                pass
        else:
            await channel.unary_unary(rpc.path, **codec)(payload, timeout=10)
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    return grpc.StatusCode.OK, ""


def fuzz_payloads(rpc: Rpc, rng: random.Random, count: int) -> Iterator[bytes]:
    """Random bytes, and truncated and bit-flipped copies of a valid request."""
    valid = valid_request(rpc)
    for index in range(count):
        kind = index % 3
        if kind == 0:
            yield rng.randbytes(rng.randrange(1, 300))
        elif kind == 1:
            yield valid[: rng.randrange(0, len(valid))]
        else:
            flipped = bytearray(valid)
            for _ in range(rng.randrange(1, 4)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            yield bytes(flipped)


async def still_serving(harness: Harness) -> None:
    """A valid call right after the bad ones gets its normal answer."""
    responses = await harness.call(manifest_rpc().path, {})
    assert len(responses) == 1


async def fuzz(harness: Harness, log_lines: io.StringIO, per_rpc: int) -> None:
    assert harness.channel is not None
    rng = random.Random(SEED)  # noqa: S311 - a reproducible fuzzer, not cryptography
    for rpc in contracts.rpcs():
        for payload in fuzz_payloads(rpc, rng, per_rpc):
            await send_raw(harness.channel, rpc, payload, log_lines)
        await still_serving(harness)
    # Bad input is the caller's problem: nothing is logged as an error of the service.
    errors = [e for e in records(log_lines.getvalue()) if e["level"] in ("error", "critical")]
    assert errors == [], errors[:1]


async def test_fuzzed_requests_get_a_status(service: Harness, log_lines: io.StringIO) -> None:
    await fuzz(service, log_lines, per_rpc=30)


@pytest.mark.heavy
async def test_many_fuzzed_requests_get_a_status(service: Harness, log_lines: io.StringIO) -> None:
    await fuzz(service, log_lines, per_rpc=1500)


@pytest.mark.heavy
async def test_every_truncation_of_a_valid_request_gets_a_status(
    service: Harness, log_lines: io.StringIO
) -> None:
    assert service.channel is not None
    for rpc in contracts.rpcs():
        valid = valid_request(rpc)
        for end in range(len(valid)):
            await send_raw(service.channel, rpc, valid[:end], log_lines)
        await still_serving(service)


async def test_a_corrupt_request_is_invalid_argument(
    service: Harness, log_lines: io.StringIO
) -> None:
    # 0xff is no valid field tag: the message cannot be parsed at all.
    assert service.channel is not None
    for rpc in contracts.rpcs():
        assert await send_raw(service.channel, rpc, b"\xff\xff\xff") == (
            grpc.StatusCode.INVALID_ARGUMENT
        ), rpc.label


async def test_oversized_requests_are_resource_exhausted(log_lines: io.StringIO) -> None:
    settings = Settings(insecure=True, max_message_bytes=SMALL_LIMIT)
    async with Harness(settings, vendor_down()) as harness:
        assert harness.channel is not None
        # A well-formed request, too big only because of one configuration value (the
        # heavy set sends oversized bytes to every method).
        tenant = sample_tenant()
        tenant["values"]["api-base-url"] = {"stringValue": "https://" + "a" * SMALL_LIMIT}
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await harness.call(manifest_rpc().path, {}, tenant=tenant)
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        await still_serving(harness)


@pytest.mark.heavy
async def test_oversized_requests_to_every_method_are_resource_exhausted(
    log_lines: io.StringIO,
) -> None:
    settings = Settings(insecure=True, max_message_bytes=SMALL_LIMIT)
    async with Harness(settings, vendor_down()) as harness:
        assert harness.channel is not None
        for rpc in contracts.rpcs():
            code = await send_raw(harness.channel, rpc, b"\x00" * (SMALL_LIMIT + 1))
            assert code == grpc.StatusCode.RESOURCE_EXHAUSTED, rpc.label
        await still_serving(harness)
    # And at the default limit (4 MiB).
    async with Harness(Settings(insecure=True), vendor_down()) as harness:
        assert harness.channel is not None
        limit = Settings().max_message_bytes
        code = await send_raw(harness.channel, manifest_rpc(), b"\x00" * (limit + 1))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
        await still_serving(harness)


# -- configuration (extends tests/test_tenant_config.py) -----------------------------------

CANARY = secret("rel-canary-value-77e2")  # must never be echoed back or logged
WRONG_KIND_VALUES: dict[Kind, Any] = {
    Kind.SECURE_STRING: {"secureString": {"decrypted": CANARY, "encrypted": CANARY}},
    Kind.STRING: {"stringValue": CANARY},
    Kind.BOOL: {"boolValue": True},
    Kind.NUMBER: {"numberValue": 770_277.25},
    Kind.STRING_LIST: {"stringListValue": {"values": [CANARY]}},
}


def with_value(key: str, value: Any) -> dict[str, Any]:
    document = sample_tenant()
    document["values"][key] = value
    return document


def bad_configurations() -> Iterator[Any]:
    for parameter in PARAMETERS:
        for kind, value in WRONG_KIND_VALUES.items():
            if kind is not parameter.kind:
                yield pytest.param(
                    with_value(parameter.key, value),
                    parameter.key,
                    id=f"{parameter.key}-as-{kind.value}",
                )
        yield pytest.param(
            with_value(parameter.key, {}), parameter.key, id=f"{parameter.key}-empty"
        )
        huge = "h" * (MAX_VALUE_BYTES + 1)
        if parameter.kind is Kind.SECURE_STRING:
            value = {"secureString": {"decrypted": huge, "encrypted": ""}}
        elif parameter.kind is Kind.STRING:
            value = {"stringValue": huge}
        elif parameter.kind is Kind.STRING_LIST:
            value = {"stringListValue": {"values": ["ok", huge]}}
        else:
            continue
        yield pytest.param(
            with_value(parameter.key, value), parameter.key, id=f"{parameter.key}-huge"
        )
        if parameter.choices:
            yield pytest.param(
                with_value(parameter.key, {"stringValue": CANARY}),
                parameter.key,
                id=f"{parameter.key}-not-a-choice",
            )
    yield pytest.param(
        with_value("unknown-secret", WRONG_KIND_VALUES[Kind.SECURE_STRING]),
        "unknown-secret",
        id="unknown-key-with-secret",
    )
    long_key = "k" * 10_000
    yield pytest.param(with_value(long_key, {"stringValue": "x"}), "k" * 32, id="huge-key")
    many = sample_tenant()
    for index in range(MAX_VALUES + 1):
        many["values"][f"extra-{index}"] = {"stringValue": CANARY}
    yield pytest.param(many, str(MAX_VALUES), id="too-many-values")


@pytest.mark.parametrize(("document", "named"), list(bad_configurations()))
async def test_bad_configuration_names_the_key_and_echoes_no_value(
    service: Harness, log_lines: io.StringIO, document: Any, named: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await service.call("IntegrationService.GetManifest", {}, tenant=document)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = raised.value.details() or ""
    assert named in details
    assert len(details) < 500  # bounded, whatever the size of the key or value
    assert "hhhhhhhh" not in details
    assert_no_secrets(details)
    assert CANARY not in log_lines.getvalue()


async def test_a_stranger_learns_nothing_from_a_bad_configuration(
    log_lines: io.StringIO,
) -> None:
    # With a shared key, a caller without it is refused before its configuration is
    # checked: the message names no parameter, whatever else is wrong.
    service_key = secret("rel-service-key-bad-input-1a2b")
    async with Harness(
        Settings(insecure=True, preshared_key=service_key), vendor_down()
    ) as harness:
        document = with_value("unknown-secret", WRONG_KIND_VALUES[Kind.SECURE_STRING])
        document["values"]["preshared-key"] = {
            "secureString": {"decrypted": secret("rel-wrong-key-9d9d"), "encrypted": ""}
        }
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await harness.call("IntegrationService.GetManifest", {}, tenant=document)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    details = raised.value.details() or ""
    assert "unknown-secret" not in details
    assert_no_secrets(details)
