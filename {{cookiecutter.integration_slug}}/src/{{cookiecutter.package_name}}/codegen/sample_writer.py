"""Sample requests: one JSON document per RPC (and per subscribed event), every field set.

Values are plausible for the field's name and type (ids look like ids, locales like
locales, timestamps like timestamps), so ``call`` works out of the box and the to-do
tests have a request to send. Where the catalog ships a documented sample (a *seed*,
``<Service>.<Method>[.<event>].json``), it is used, and the fields the documentation
leaves out are filled in around it. The tenant configuration is not part of a sample:
``call`` and the tests add it. Existing sample files are the vendor's and are never
overwritten.

How the builder fills each kind of field:

* scalars: a value guessed from the field name (see :func:`string_value`), else
  ``example-<name>``; 64-bit integers as JSON strings, as proto3 JSON writes them;
* enums: the first value that is not the zero ("unspecified") value;
* oneofs: exactly one member, the first one (or the one an event key names);
* maps: one entry; repeated fields: one element;
* well-known types in their JSON form (``Timestamp`` as RFC 3339, ``Duration`` as
  ``"3600s"``, wrappers as their value, ``Any`` wrapping a ``Struct`` when possible);
* recursive messages: a message type may appear twice on a path, then the recursive
  field is left out, so every sample is finite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

from .model import DescriptorModel, ServiceModel

FieldType = descriptor_pb2.FieldDescriptorProto
# How often one message type may appear on the path from the request to a field.
MAX_REPEATS = 2
# A guard for absurdly deep (non-recursive) nesting.
MAX_DEPTH = 32

ULID = "01EPY3B06MWB08MZ86ST3S8FCS"  # ids of Accedo One objects look like ULIDs
UUID = "d18366bc-e0da-4634-bbae-8e698b0fa2cb"  # user and device ids like UUIDs

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
# What an ``Any`` can hold in a sample: a well-known type, if the contract imports one
# (only then is it known to the descriptor pool that parses the sample).
_ANY_PAYLOADS = (
    "google.protobuf.Struct",
    "google.protobuf.StringValue",
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
)
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

# (last words of a field name, value): the first rule whose words end the name wins,
# so ``client_ip`` is an address but ``membership`` is not, and ``page_token`` is
# checked before ``token``.
_STRINGS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("page_token", "cursor"), ""),  # empty: the first page
    (("user_id", "device_id", "session_id", "subscription_id"), UUID),
    (("bundle_id", "bundle_identifier", "package_name", "app_id"), "com.example.app"),
    (("product_id", "sku"), "com.example.premium.monthly"),
    (("email", "email_address"), "jane.doe@example.com"),
    (("password", "secret", "pin"), "correct-horse-battery-staple"),
    (("username", "login"), "jane.doe"),
    (("phone", "phone_number"), "+46701234567"),
    (("locale", "language", "lang"), "en"),
    (("country", "country_code", "region"), "SE"),
    (("currency", "currency_code"), "EUR"),
    (("url", "uri", "link", "href"), "https://example.com/resource"),
    (("ip", "ip_address"), "162.198.33.21"),
    (("token", "receipt", "jwt"), "eyJleGFtcGxlIjoidG9rZW4ifQ"),
    (("user_agent",), "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36"),
    (("platform",), "android"),
    (("manufacturer",), "Google"),
    (("model",), "Pixel 8"),
    (("version",), "1.0.0"),
    (("environment",), "production"),
    (("tag",), "gold"),
    (("genre",), "drama"),
    (("description", "summary"), "An example, written for this sample request."),
    (("name", "title", "label"), "Example"),
    (("id", "key"), ULID),
)
_INTS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("size", "limit", "max_results", "count"), 20),
    (("width", "width_pixels", "width_px"), 1920),
    (("height", "height_pixels", "height_px"), 1080),
    (("year",), 2026),
    (("seconds", "duration"), 3600),
    (("port",), 443),
)
_FLOATS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("price", "amount"), 9.99),
    (("latitude", "lat"), 59.33),
    (("longitude", "lon", "lng"), 18.07),
)


def sample_name(service: ServiceModel, method: str, event: str | None = None) -> str:
    return f"{service.name}.{method}" + (f".{event}" if event else "") + ".json"


def singular(word: str) -> str:
    """``entitlement_tags`` → ``entitlement_tag``, ``countries`` → ``country`` (good enough)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _guess(name: str, rules: tuple[tuple[tuple[str, ...], Any], ...]) -> Any:
    words = name.lower().split("_")
    for suffixes, value in rules:
        for suffix in suffixes:
            wanted = suffix.split("_")
            if words[-len(wanted) :] == wanted:
                return value
    return None


def string_value(name: str, *, repeated: bool = False) -> str:
    """A plausible value for a string field, guessed from its (snake_case) name.

    A repeated field is named in the plural (``locales``); its element is guessed
    from the singular (``locale``).
    """
    if repeated:
        head, _, last = name.rpartition("_")
        name = f"{head}_{singular(last)}" if head else singular(last)
    guessed = _guess(name, _STRINGS)
    if guessed is not None:
        return str(guessed)
    return f"example-{name.lower().replace('_', '-')}"


class SampleBuilder:
    """Builds a sample document; in each oneof, a member named in ``prefer`` wins."""

    def __init__(self, model: DescriptorModel, prefer: frozenset[str] = frozenset()) -> None:
        self.model = model
        self.prefer = prefer

    def message(
        self,
        full_name: str,
        path: tuple[str, ...] = (),
        *,
        skip_configuration: bool = False,
    ) -> Any:
        """The JSON form of one message; ``path`` is the message types around it."""
        if full_name in _WELL_KNOWN:
            return _WELL_KNOWN[full_name]
        if full_name == "google.protobuf.Any":
            return self._any()
        message = self.model.messages[full_name]
        path = (*path, full_name)
        document: dict[str, Any] = {}
        chosen: dict[int, str] = {}  # oneof index -> the member to fill
        for field in message.field:
            if not _in_oneof(field):
                continue
            current = chosen.get(field.oneof_index)
            if current is None or (field.name in self.prefer and current not in self.prefer):
                chosen[field.oneof_index] = field.name
        for field in message.field:
            skipped = skip_configuration and field.json_name == "configuration"
            if skipped or (_in_oneof(field) and chosen[field.oneof_index] != field.name):
                continue
            value = self.field(field, path)
            if value is not None:
                document[field.json_name] = value
        return document

    def field(self, field: descriptor_pb2.FieldDescriptorProto, path: tuple[str, ...]) -> Any:
        """The JSON value of one field, or ``None`` to leave it out (recursion, depth)."""
        if field.type in (FieldType.TYPE_MESSAGE, FieldType.TYPE_GROUP):
            type_name = field.type_name.lstrip(".")
            entry = self.model.messages.get(type_name)
            if entry is not None and entry.options.map_entry:
                return self._map_entry(entry, path)
            if path.count(type_name) >= MAX_REPEATS or len(path) >= MAX_DEPTH:
                return None
            value = self.message(type_name, path)
            if value is None:
                return None
        else:
            value = self.scalar(field)
        if field.label == FieldType.LABEL_REPEATED:
            return [value]
        return value

    def _map_entry(self, entry: descriptor_pb2.DescriptorProto, path: tuple[str, ...]) -> Any:
        key_field, value_field = entry.field[0], entry.field[1]
        if key_field.type == FieldType.TYPE_STRING:
            key: Any = "example"
        else:
            key = self.scalar(key_field)
        value = self.field(value_field, path)
        if value is None:
            return None
        # JSON object keys are strings: "true", "1", "example".
        return {str(key).lower() if isinstance(key, bool) else str(key): value}

    def _any(self) -> Any:
        for payload in _ANY_PAYLOADS:
            if payload in self.model.messages:
                return {"@type": f"type.googleapis.com/{payload}", "value": _WELL_KNOWN[payload]}
        return None  # no type the parser would know: leave the Any out

    def scalar(self, field: descriptor_pb2.FieldDescriptorProto) -> Any:
        kind = field.type
        repeated = field.label == FieldType.LABEL_REPEATED
        if kind == FieldType.TYPE_STRING:
            return string_value(field.name, repeated=repeated)
        if kind == FieldType.TYPE_BOOL:
            return True
        if kind in _INTEGERS_AS_STRINGS:
            return str(_guess(field.name, _INTS) or 1)
        if kind in _INTEGERS:
            return _guess(field.name, _INTS) or 1
        if kind in (FieldType.TYPE_DOUBLE, FieldType.TYPE_FLOAT):
            return _guess(field.name, _FLOATS) or 1.5
        if kind == FieldType.TYPE_BYTES:
            return "c2FtcGxl"  # base64 of "sample"
        if kind == FieldType.TYPE_ENUM:
            enum = self.model.enums[field.type_name.lstrip(".")]
            values = [value.name for value in enum.value if value.number != 0]
            return values[0] if values else enum.value[0].name
        return None


def _in_oneof(field: descriptor_pb2.FieldDescriptorProto) -> bool:
    return field.HasField("oneof_index") and not field.proto3_optional


def merge(built: Any, seed: Any) -> Any:
    """``seed`` with what it leaves out taken from ``built`` (objects merged, seed wins)."""
    if isinstance(built, dict) and isinstance(seed, dict):
        merged = dict(built)
        for key, value in seed.items():
            merged[key] = merge(built.get(key), value) if key in built else value
        return merged
    return seed


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
    written: list[str] = []
    messages: list[str] = []
    for service in services:
        for method in service.methods:
            for event in events.get(service.full_name, []) if method.name == "OnEvent" else [None]:
                name = sample_name(service, method.name, event)
                path = samples_dir / name
                if path.exists():
                    continue
                request = method.input.full_name
                prefer = frozenset(event.split(".")) if event else frozenset()
                built = SampleBuilder(model, prefer).message(request, skip_configuration=True)
                document = built
                seed = _seed(seeds_dir, name)
                if seed is not None:
                    seed = {key: value for key, value in seed.items() if key != "configuration"}
                    if _parses(pool, request, merge(built, seed)):
                        document = merge(built, seed)
                    elif _parses(pool, request, seed):
                        document = seed
                    else:
                        messages.append(
                            f"warning: the documented sample {name} does not fit {request};"
                            " generated one instead"
                        )
                if not _parses(pool, request, document):
                    messages.append(f"warning: could not build a sample {name}; wrote an empty one")
                    document = {}
                path.write_text(
                    json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
                )
                written.append(name)
    if written:
        messages.append(f"wrote {len(written)} sample request(s) in {samples_dir.name}/")
    return messages


def _seed(seeds_dir: Path | None, name: str) -> Any:
    if seeds_dir is None or not (seeds_dir / name).is_file():
        return None
    try:
        document = json.loads((seeds_dir / name).read_text(encoding="utf-8"))
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _parses(pool: descriptor_pool.DescriptorPool, message: str, document: Any) -> bool:
    """Does ``document`` parse strictly (no unknown field) into ``message``?"""
    message_class = message_factory.GetMessageClass(pool.FindMessageTypeByName(message))
    try:
        json_format.ParseDict(document, message_class(), descriptor_pool=pool)
    except (json_format.Error, TypeError, ValueError):
        return False
    return True
