"""Sample requests: one JSON document per RPC (and per subscribed event), every field set.

Values are plausible for the field's name and type (ids look like ids, locales like
locales), so ``call`` works out of the box and the to-do tests have a request to send.
Documented samples shipped with the bundle's catalog are used where they exist. The
tenant configuration is not part of a sample: ``call`` and the tests add it.
Existing sample files are the vendor's and are never overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

from .model import DescriptorModel, ServiceModel

FieldType = descriptor_pb2.FieldDescriptorProto
MAX_DEPTH = 6

_WELL_KNOWN: dict[str, Any] = {
    "google.protobuf.Timestamp": "2026-01-01T12:00:00Z",
    "google.protobuf.Duration": "3600s",
    "google.protobuf.Struct": {"example": "value"},
    "google.protobuf.Value": "value",
    "google.protobuf.ListValue": ["value"],
    "google.protobuf.Empty": {},
    "google.protobuf.FieldMask": "id",
    "google.protobuf.StringValue": "example",
    "google.protobuf.BoolValue": True,
    "google.protobuf.Int32Value": 1,
    "google.protobuf.UInt32Value": 1,
    "google.protobuf.Int64Value": "1",
    "google.protobuf.UInt64Value": "1",
    "google.protobuf.DoubleValue": 1.5,
    "google.protobuf.FloatValue": 1.5,
    "google.protobuf.BytesValue": "c2FtcGxl",
}
_INTEGERS_AS_STRINGS = {
    FieldType.TYPE_INT64,
    FieldType.TYPE_UINT64,
    FieldType.TYPE_SINT64,
    FieldType.TYPE_FIXED64,
    FieldType.TYPE_SFIXED64,
}
_INTEGERS = {
    FieldType.TYPE_INT32,
    FieldType.TYPE_UINT32,
    FieldType.TYPE_SINT32,
    FieldType.TYPE_FIXED32,
    FieldType.TYPE_SFIXED32,
}


def sample_name(service: ServiceModel, method: str, event: str | None = None) -> str:
    return f"{service.name}.{method}" + (f".{event}" if event else "") + ".json"


def string_value(name: str) -> str:
    """A plausible value for a string field, guessed from its name."""
    lowered = name.lower()
    guesses = (
        (
            ("user_id", "device_id", "session_id", "subscription_id"),
            "d18366bc-e0da-4634-bbae-8e698b0fa2cb",
        ),
        (("email",), "jane.doe@example.com"),
        (("password", "secret"), "correct-horse-battery-staple"),
        (("locale", "language"), "en"),
        (("country", "region"), "SE"),
        (("currency",), "EUR"),
        (("url", "uri", "link"), "https://example.com/resource"),
        (("ip",), "162.198.33.21"),
        (("token", "receipt"), "eyJleGFtcGxlIjoidG9rZW4ifQ"),
        (("name", "title", "label"), "Example"),
        (("version",), "1.0.0"),
        (("page_token", "cursor"), ""),
        (("tag",), "gold"),
        (("_id", "id"), "01EPY3B06MWB08MZ86ST3S8FCS"),
    )
    for needles, value in guesses:
        if any(lowered.endswith(needle) or lowered == needle for needle in needles):
            return value
    return f"example-{lowered.replace('_', '-')}"


class SampleBuilder:
    """Builds a sample document; in each oneof, a member named in ``prefer`` wins."""

    def __init__(self, model: DescriptorModel, prefer: frozenset[str] = frozenset()) -> None:
        self.model = model
        self.prefer = prefer

    def message(self, full_name: str, depth: int = 0, *, skip_configuration: bool = False) -> Any:
        if full_name in _WELL_KNOWN:
            return _WELL_KNOWN[full_name]
        message = self.model.messages[full_name]
        document: dict[str, Any] = {}
        if depth > MAX_DEPTH:
            return document
        chosen: dict[int, str] = {}  # oneof index -> the member to fill
        for field in message.field:
            in_oneof = field.HasField("oneof_index") and not field.proto3_optional
            if in_oneof and (field.oneof_index not in chosen or field.name in self.prefer):
                chosen[field.oneof_index] = field.name
        for field in message.field:
            skipped = skip_configuration and field.json_name == "configuration"
            in_oneof = field.HasField("oneof_index") and not field.proto3_optional
            if skipped or (in_oneof and chosen[field.oneof_index] != field.name):
                continue
            value = self.field(full_name, field, depth)
            if value is not None:
                document[field.json_name] = value
        return document

    def field(self, owner: str, field: descriptor_pb2.FieldDescriptorProto, depth: int) -> Any:
        if field.type == FieldType.TYPE_MESSAGE:
            type_name = field.type_name.lstrip(".")
            entry = self.model.messages.get(type_name)
            if entry is not None and entry.options.map_entry:
                key_field, value_field = entry.field[0], entry.field[1]
                key = (
                    self.scalar(key_field) if key_field.type != FieldType.TYPE_STRING else "example"
                )
                return {str(key).lower(): self.field(type_name, value_field, depth + 1)}
            if type_name == "google.protobuf.Any" or (type_name == owner and depth > 1):
                return None
            value = self.message(type_name, depth + 1)
        else:
            value = self.scalar(field)
        if field.label == FieldType.LABEL_REPEATED:
            return [value]
        return value

    def scalar(self, field: descriptor_pb2.FieldDescriptorProto) -> Any:
        kind = field.type
        if kind == FieldType.TYPE_STRING:
            return string_value(field.name)
        if kind == FieldType.TYPE_BOOL:
            return True
        if kind in _INTEGERS_AS_STRINGS:
            return "20" if "size" in field.name or "limit" in field.name else "1"
        if kind in _INTEGERS:
            return 20 if "size" in field.name or "limit" in field.name else 1
        if kind in (FieldType.TYPE_DOUBLE, FieldType.TYPE_FLOAT):
            return 1.5
        if kind == FieldType.TYPE_BYTES:
            return "c2FtcGxl"
        if kind == FieldType.TYPE_ENUM:
            enum = self.model.enums[field.type_name.lstrip(".")]
            values = [value.name for value in enum.value if value.number != 0]
            return values[0] if values else enum.value[0].name
        return None


def write_samples(
    model: DescriptorModel,
    descriptor_set: descriptor_pb2.FileDescriptorSet,
    services: list[ServiceModel],
    events: dict[str, list[str]],
    samples_dir: Path,
    seeds_dir: Path | None,
) -> list[str]:
    """Write the missing sample files; check every sample parses strictly."""
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_set.file:
        pool.Add(file)
    samples_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for service in services:
        for method in service.methods:
            for event in events.get(service.full_name, []) if method.name == "OnEvent" else [None]:
                name = sample_name(service, method.name, event)
                path = samples_dir / name
                if path.exists():
                    continue
                document = _seed(seeds_dir, name)
                if document is None or not _parses(pool, method.input.full_name, document):
                    prefer = frozenset(event.split(".")) if event else frozenset()
                    builder = SampleBuilder(model, prefer)
                    document = builder.message(method.input.full_name, skip_configuration=True)
                if not _parses(pool, method.input.full_name, document):
                    document = {}
                path.write_text(
                    json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
                )
                written.append(name)
    return [f"wrote {len(written)} sample request(s) in {samples_dir.name}/"] if written else []


def _seed(seeds_dir: Path | None, name: str) -> Any:
    if seeds_dir is None or not (seeds_dir / name).is_file():
        return None
    return json.loads((seeds_dir / name).read_text(encoding="utf-8"))


def _parses(pool: descriptor_pool.DescriptorPool, message: str, document: Any) -> bool:
    message_class = message_factory.GetMessageClass(pool.FindMessageTypeByName(message))
    try:
        json_format.ParseDict(document, message_class())
    except json_format.ParseError:
        return False
    return True
