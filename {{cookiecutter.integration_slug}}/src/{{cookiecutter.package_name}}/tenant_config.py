"""The calling customer's configuration, parsed from every request.

Accedo One sends the tenant's configuration with every call, as a message whose
JSON form is documented (``bundleIdentifier``, ``values`` of ``isOverridden`` plus
one typed kind such as ``secureString``). This module reads that message by those
JSON names, so an official bundle with other message names works unchanged, checks
it against the parameters declared in ``parameters.py``, and returns a typed,
immutable :class:`TenantConfig` whose secrets never show in ``repr()`` or logs.
"""

from __future__ import annotations

import enum
import functools
import hmac
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from .errors import ConfigurationError

MAX_VALUE_BYTES = 64 * 1024
MAX_VALUES = 256
CACHE_SIZE = 512
REDACTED = "********"


class Kind(enum.Enum):
    """The kinds a configuration value can take, named by their JSON field."""

    SECURE_STRING = "secureString"
    STRING = "stringValue"
    BOOL = "boolValue"
    NUMBER = "numberValue"
    STRING_LIST = "stringListValue"


class Secret:
    """A secret value: compare it or :meth:`reveal` it, it never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The plain value, for the one place that must send it (e.g. a vendor header)."""
        return self._value

    def matches(self, other: str) -> bool:
        """Constant-time comparison, so timing does not leak the value."""
        return hmac.compare_digest(self._value.encode(), other.encode())

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and self.matches(other._value)

    def __hash__(self) -> int:
        return hash(Secret)


Value = str | bool | float | tuple[str, ...] | Secret


@dataclass(frozen=True)
class Parameter:
    """One configuration parameter, declared once and announced in the manifest."""

    key: str
    kind: Kind
    description: str
    required: bool = False
    default: Value | None = None
    display_name: str = ""
    choices: tuple[str, ...] = ()  # for STRING: the only values accepted

    @property
    def secret(self) -> bool:
        return self.kind is Kind.SECURE_STRING


@dataclass(frozen=True, repr=False)
class TenantConfig:
    """One tenant's parsed configuration; values are typed by their declared kind."""

    bundle_identifier: str
    values: Mapping[str, Value]
    overridden: frozenset[str] = frozenset()

    def __getitem__(self, key: str) -> Value:
        return self.values[key]

    def get(self, key: str, default: Value | None = None) -> Value | None:
        return self.values.get(key, default)

    def string(self, key: str) -> str:
        """A ``stringValue`` parameter (raises ``KeyError`` when it is not set)."""
        value = self.values[key]
        if not isinstance(value, str):
            raise TypeError(f"configuration value {key!r} is not a string")
        return value

    def secret(self, key: str) -> Secret:
        """A ``secureString`` parameter (raises ``KeyError`` when it is not set)."""
        value = self.values[key]
        if not isinstance(value, Secret):
            raise TypeError(f"configuration value {key!r} is not a secret")
        return value

    def secret_values(self) -> tuple[str, ...]:
        """Every plain secret, so the logs can redact them."""
        return self._secret_values

    @functools.cached_property
    def _secret_values(self) -> tuple[str, ...]:
        # Once per parsed configuration (the parser caches those), not once per call.
        return tuple(value.reveal() for value in self.values.values() if isinstance(value, Secret))

    def __repr__(self) -> str:
        shown = {
            key: (repr(value) if isinstance(value, Secret) else value)
            for key, value in self.values.items()
        }
        return f"TenantConfig(bundle_identifier={self.bundle_identifier!r}, values={shown!r})"


def _field(descriptor: Any, json_name: str) -> FieldDescriptor | None:
    for field in descriptor.fields:
        if field.json_name == json_name:
            found: FieldDescriptor = field
            return found
    return None


def _short(key: str) -> str:
    """A key as it may appear in an error message: bounded and escaped."""
    return repr(key if len(key) <= 64 else key[:61] + "...")


class TenantConfigParser:
    """Turns configuration messages into :class:`TenantConfig`, with a bounded cache.

    The cache is keyed by the message's exact bytes, so two tenants can never share
    an entry; parsing is pure, so a cached result is the same as a fresh one.
    """

    def __init__(self, parameters: Sequence[Parameter]) -> None:
        self.parameters = {parameter.key: parameter for parameter in parameters}
        self._cache: OrderedDict[bytes, TenantConfig | ConfigurationError] = OrderedDict()

    def parse(self, configuration: Message) -> TenantConfig:
        """Parse and validate; raises :class:`ConfigurationError` naming the key at fault."""
        cache_key = configuration.SerializeToString(deterministic=True)
        cached = self._cache.get(cache_key)
        if cached is not None:
            self._cache.move_to_end(cache_key)  # least recently used goes first
        else:
            try:
                cached = self._parse(configuration)
            except ConfigurationError as error:
                cached = error
            self._cache[cache_key] = cached
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        if isinstance(cached, ConfigurationError):
            raise ConfigurationError(str(cached))
        return cached

    def _parse(self, configuration: Message) -> TenantConfig:
        descriptor = configuration.DESCRIPTOR
        bundle_field = _field(descriptor, "bundleIdentifier")
        values_field = _field(descriptor, "values")
        if bundle_field is None or values_field is None:
            raise ConfigurationError(
                f"configuration message {descriptor.full_name} lacks bundleIdentifier or values"
            )
        bundle_identifier = str(getattr(configuration, bundle_field.name))
        raw_values: Mapping[str, Message] = getattr(configuration, values_field.name)
        if len(raw_values) > MAX_VALUES:
            raise ConfigurationError(
                f"configuration has {len(raw_values)} values; at most {MAX_VALUES}"
            )
        values: dict[str, Value] = {}
        overridden: set[str] = set()
        for key, raw in raw_values.items():
            parameter = self.parameters.get(key)
            if parameter is None:
                raise ConfigurationError(
                    f"configuration value {_short(key)} is not a declared parameter"
                )
            values[key] = _read_value(parameter, raw)
            overridden_field = _field(raw.DESCRIPTOR, "isOverridden")
            if overridden_field is not None and getattr(raw, overridden_field.name):
                overridden.add(key)
        for parameter in self.parameters.values():
            if parameter.key in values:
                continue
            if parameter.default is not None:
                values[parameter.key] = parameter.default
            elif parameter.required:
                raise ConfigurationError(
                    f"required configuration value {_short(parameter.key)} is missing"
                )
        return TenantConfig(bundle_identifier, values, frozenset(overridden))


def _read_value(parameter: Parameter, raw: Message) -> Value:
    """One value, checked against its declared kind; the value itself is never echoed."""
    key = _short(parameter.key)
    kind_name = None
    for oneof in raw.DESCRIPTOR.oneofs:
        set_field = raw.WhichOneof(oneof.name)
        if set_field is not None:
            kind_name = raw.DESCRIPTOR.fields_by_name[set_field].json_name
            break
    if kind_name != parameter.kind.value:
        found = kind_name or "no value"
        raise ConfigurationError(
            f"configuration value {key} must be a {parameter.kind.value}, got {found}"
        )
    kind_field = _field(raw.DESCRIPTOR, kind_name)
    assert kind_field is not None  # found above by the same JSON name
    payload = getattr(raw, kind_field.name)
    if parameter.kind is Kind.SECURE_STRING:
        decrypted = _field(payload.DESCRIPTOR, "decrypted")
        if decrypted is None:
            raise ConfigurationError(
                f"configuration value {key}: secureString has no decrypted field"
            )
        return Secret(_bounded(key, getattr(payload, decrypted.name)))
    if parameter.kind is Kind.STRING_LIST:
        items_field = _field(payload.DESCRIPTOR, "values")
        items: Iterable[str] = getattr(payload, items_field.name) if items_field else ()
        return tuple(_bounded(key, item) for item in items)
    if parameter.kind is Kind.STRING:
        text = _bounded(key, payload)
        if parameter.choices and text not in parameter.choices:
            raise ConfigurationError(
                f"configuration value {key} must be one of {', '.join(parameter.choices)}"
            )
        return text
    if parameter.kind is Kind.BOOL:
        return bool(payload)
    return float(payload)


def _bounded(key: str, text: str) -> str:
    size = len(text.encode())
    if size > MAX_VALUE_BYTES:
        raise ConfigurationError(
            f"configuration value {key} is {size} bytes; at most {MAX_VALUE_BYTES}"
        )
    return text
