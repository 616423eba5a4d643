"""Calling the integration the way Accedo One does: by RPC name, with JSON requests.

Used by the ``call`` command and by the tests; works for every RPC kind from the
descriptors alone (no generated client stubs needed). :func:`stream` hands each
response over as it arrives (``call`` prints a long ``Sync`` stream as it goes);
:func:`invoke` collects them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format, message_factory
from google.protobuf.message import Message

from .contracts import Rpc

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"


def sample_path(rpc: Rpc, event: str | None = None) -> Path:
    short = rpc.service.rsplit(".", 1)[-1]
    return SAMPLES_DIR / (f"{short}.{rpc.name}" + (f".{event}" if event else "") + ".json")


def load_sample(rpc: Rpc, event: str | None = None) -> Any:
    """The sample request of ``rpc`` (of ``event``, for ``OnEvent``), as JSON.

    ``OnEvent`` has one sample per subscribed event; without ``event`` the first
    subscribed event's sample is used.
    """
    path = sample_path(rpc, event)
    if event is None and not path.is_file():
        from .generated import contract

        if contract.EVENT_SUBSCRIPTIONS and rpc.name == "OnEvent":
            path = sample_path(rpc, contract.EVENT_SUBSCRIPTIONS[0])
    if not path.is_file():
        raise FileNotFoundError(f"no sample request for {rpc.label} ({path.name}); run regen")
    return json.loads(path.read_text(encoding="utf-8"))


def _secret_strings(document: Any, secret: bool = False) -> list[str]:
    """Every string (at any depth) under a ``secureString`` of a configuration document."""
    if isinstance(document, str):
        return [document] if secret and document else []
    if not isinstance(document, (dict, list)):
        return []
    values = document.items() if isinstance(document, dict) else enumerate(document)
    found: list[str] = []
    for key, value in values:
        found += _secret_strings(value, secret or key in ("secureString", "secure_string"))
    return found


def build_request(rpc: Rpc, document: Any, tenant: Any | None) -> Message:
    """A request message from proto3 JSON (strict), with the tenant configuration added.

    ``tenant`` replaces any ``configuration`` in ``document`` (``None``: keep it).
    Raises ``ValueError`` naming the field at fault; a configuration's secrets are
    never part of the message.
    """
    input_type = rpc.descriptor.input_type
    request_class = message_factory.GetMessageClass(input_type)
    if not isinstance(document, dict):
        raise ValueError(f"a {input_type.name} request must be a JSON object")
    document = dict(document)
    has_configuration = any(f.json_name == "configuration" for f in input_type.fields)
    if tenant is not None and has_configuration:
        document["configuration"] = tenant
    message: Message = request_class()
    try:
        json_format.ParseDict(document, message)
    except (json_format.ParseError, TypeError, ValueError) as error:
        text = str(error)
        for secret in _secret_strings(document.get("configuration")):
            text = text.replace(secret, "********")
        raise ValueError(f"the request does not fit {input_type.full_name}: {text}") from None
    return message


def requests_of(rpc: Rpc, document: Any, tenant: Any | None) -> list[Message]:
    """Client-streaming RPCs take a JSON array (one element per message)."""
    documents = (
        document if rpc.descriptor.client_streaming and isinstance(document, list) else [document]
    )
    return [build_request(rpc, item, tenant) for item in documents]


async def stream(
    channel: grpc.aio.Channel,
    rpc: Rpc,
    requests: Sequence[Message],
    *,
    timeout: float | None = None,
    metadata: Sequence[tuple[str, str]] = (),
) -> AsyncIterator[Message]:
    """Send ``requests``; yield each response as it arrives (one for unary responses).

    Leaving the loop early cancels the call. A failed call raises
    ``grpc.aio.AioRpcError`` after the responses that did arrive.
    """
    response_class = message_factory.GetMessageClass(rpc.descriptor.output_type)
    codec: dict[str, Any] = {
        "request_serializer": lambda message: message.SerializeToString(),
        "response_deserializer": response_class.FromString,
    }
    options: dict[str, Any] = {"timeout": timeout, "metadata": tuple(metadata)}
    descriptor = rpc.descriptor
    if not descriptor.client_streaming and len(requests) != 1:
        raise ValueError(f"{rpc.label} takes exactly one request")

    async def request_stream() -> AsyncIterator[Message]:
        for request in requests:
            yield request

    if descriptor.client_streaming and not descriptor.server_streaming:
        yield await channel.stream_unary(rpc.path, **codec)(request_stream(), **options)
        return
    if not descriptor.server_streaming:
        yield await channel.unary_unary(rpc.path, **codec)(requests[0], **options)
        return
    call: Any
    if descriptor.client_streaming:
        call = channel.stream_stream(rpc.path, **codec)(request_stream(), **options)
    else:
        call = channel.unary_stream(rpc.path, **codec)(requests[0], **options)
    try:
        async for response in call:
            yield response
    finally:
        call.cancel()  # a no-op once the call has ended


async def invoke(
    channel: grpc.aio.Channel,
    rpc: Rpc,
    requests: Sequence[Message],
    *,
    timeout: float | None = None,
    metadata: Sequence[tuple[str, str]] = (),
) -> list[Message]:
    """Send ``requests``; return every response (one for unary-response RPCs)."""
    return [
        response
        async for response in stream(channel, rpc, requests, timeout=timeout, metadata=metadata)
    ]


def to_json(message: Message, *, indent: int | None = 2) -> str:
    return json.dumps(json_format.MessageToDict(message), ensure_ascii=False, indent=indent)
