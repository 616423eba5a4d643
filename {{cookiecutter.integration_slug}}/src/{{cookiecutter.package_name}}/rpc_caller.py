"""Calling the integration the way Accedo One does: by RPC name, with JSON requests.

Used by the ``call`` command and by the tests; works for every RPC kind from the
descriptors alone (no generated client stubs needed).
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
    path = sample_path(rpc, event)
    if not path.is_file():
        raise FileNotFoundError(f"no sample request for {rpc.label} ({path.name}); run regen")
    return json.loads(path.read_text(encoding="utf-8"))


def build_request(rpc: Rpc, document: Any, tenant: Any | None) -> Message:
    """A request message from proto3 JSON (strict), with the tenant configuration added."""
    request_class = message_factory.GetMessageClass(rpc.descriptor.input_type)
    if not isinstance(document, dict):
        raise ValueError(f"a {rpc.descriptor.input_type.name} must be a JSON object")
    document = dict(document)
    if tenant is not None and any(
        f.json_name == "configuration" for f in rpc.descriptor.input_type.fields
    ):
        document["configuration"] = tenant
    message: Message = json_format.ParseDict(document, request_class())
    return message


def requests_of(rpc: Rpc, document: Any, tenant: Any | None) -> list[Message]:
    """Client-streaming RPCs take a JSON array (one element per message)."""
    documents = (
        document if rpc.descriptor.client_streaming and isinstance(document, list) else [document]
    )
    return [build_request(rpc, item, tenant) for item in documents]


async def invoke(
    channel: grpc.aio.Channel,
    rpc: Rpc,
    requests: Sequence[Message],
    *,
    timeout: float | None = None,
    metadata: Sequence[tuple[str, str]] = (),
) -> list[Message]:
    """Send ``requests``; return every response (one for unary-response RPCs)."""
    response_class = message_factory.GetMessageClass(rpc.descriptor.output_type)
    codec: dict[str, Any] = {
        "request_serializer": lambda message: message.SerializeToString(),
        "response_deserializer": response_class.FromString,
    }
    options: dict[str, Any] = {"timeout": timeout, "metadata": tuple(metadata)}
    descriptor = rpc.descriptor
    if descriptor.client_streaming:

        async def stream() -> AsyncIterator[Message]:
            for request in requests:
                yield request

        if descriptor.server_streaming:
            bidi = channel.stream_stream(rpc.path, **codec)(stream(), **options)
            return [response async for response in bidi]
        return [await channel.stream_unary(rpc.path, **codec)(stream(), **options)]
    if len(requests) != 1:
        raise ValueError(f"{rpc.label} takes exactly one request")
    if descriptor.server_streaming:
        server_stream = channel.unary_stream(rpc.path, **codec)(requests[0], **options)
        return [response async for response in server_stream]
    return [await channel.unary_unary(rpc.path, **codec)(requests[0], **options)]


def to_json(message: Message, *, indent: int | None = 2) -> str:
    return json.dumps(json_format.MessageToDict(message), ensure_ascii=False, indent=indent)
