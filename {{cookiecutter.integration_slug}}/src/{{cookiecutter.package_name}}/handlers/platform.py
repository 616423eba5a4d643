"""Platform services every integration serves, whatever its type.

* ``GetManifest`` answers from what the code declares: the parameters in
  ``parameters.py``, the event subscriptions in ``integration.json`` and the
  services served. The response is built by JSON field names, so an official
  bundle's manifest message is filled as far as its fields match.
* ``OnEvent`` finds the event key (``<category>.<event>``: the field set in the
  request's ``details`` oneof, then the field set in that category's oneof) and
  calls the function registered for it in ``handlers/events.py``.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from google.protobuf import json_format, message_factory
from google.protobuf.message import Message

from .. import __version__
from ..call_context import CallContext
from ..errors import InvalidRequestError
from ..generated import contract
from ..parameters import PARAMETERS
from ..tenant_config import Kind, Parameter, Secret
from .base import ServiceHandler

EventHandler = Callable[[Any, Any, CallContext], Awaitable[None]]
EVENT_HANDLERS: dict[str, EventHandler] = {}
F = TypeVar("F", bound=EventHandler)

_PARAMETER_KINDS = {
    Kind.SECURE_STRING: "PARAMETER_KIND_SECURE_STRING",
    Kind.STRING: "PARAMETER_KIND_STRING",
    Kind.BOOL: "PARAMETER_KIND_BOOL",
    Kind.NUMBER: "PARAMETER_KIND_NUMBER",
    Kind.STRING_LIST: "PARAMETER_KIND_STRING_LIST",
}


def on_event(key: str) -> Callable[[F], F]:
    """Register the function that handles the event ``key`` (e.g. ``content.video_played``)."""

    def register(function: F) -> F:
        if key in EVENT_HANDLERS:
            raise ValueError(f"two handlers for event {key!r}")
        EVENT_HANDLERS[key] = function
        return function

    return register


def manifest_document() -> dict[str, Any]:
    """The manifest as proto3 JSON, from the declarations in code."""
    return {
        "bundleIdentifier": contract.BUNDLE_IDENTIFIER,
        "displayName": contract.VENDOR_NAME,
        "version": __version__,
        "integrationType": contract.INTEGRATION_TYPE,
        "implementedServices": [name for name, _role in contract.SERVICES],
        "eventSubscriptions": list(contract.EVENT_SUBSCRIPTIONS),
        "configurationParameters": [
            {
                "key": parameter.key,
                "displayName": parameter.display_name or parameter.key,
                "description": parameter.description,
                "kind": _PARAMETER_KINDS[parameter.kind],
                "required": parameter.required,
                "allowedValues": list(parameter.choices),
                **(
                    {"defaultValue": _default_value(parameter)}
                    if parameter.default is not None
                    else {}
                ),
            }
            for parameter in PARAMETERS
        ],
    }


def _default_value(parameter: Parameter) -> dict[str, Any]:
    """A default as a configuration value (proto3 JSON); secret defaults are never announced."""
    value = parameter.default
    if isinstance(value, Secret):
        return {}
    if isinstance(value, tuple):
        return {parameter.kind.value: {"values": list(value)}}
    return {parameter.kind.value: value}


class ManifestHandler(ServiceHandler):
    """Serves ``GetManifest``; the answer is the same for every tenant, so it is built once."""

    _manifest: Message | None = None

    async def GetManifest(self, request: Message, context: CallContext) -> Message:
        """What this integration offers: declared parameters, event subscriptions, services."""
        if self._manifest is None:
            method = self.service.methods_by_name["GetManifest"]
            response = message_factory.GetMessageClass(method.output_type)()
            json_format.ParseDict(
                {"manifest": manifest_document()}, response, ignore_unknown_fields=True
            )
            self._manifest = response
        return self._manifest


class EventDispatchHandler(ServiceHandler):
    """Serves ``OnEvent`` by calling the function registered for the event's key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        importlib.import_module(f"{__package__}.events")  # registers the @on_event functions
        missing = sorted(set(contract.EVENT_SUBSCRIPTIONS) - set(EVENT_HANDLERS))
        if missing:
            raise RuntimeError(
                f"subscribed events without a handler in handlers/events.py: {missing}"
            )

    async def OnEvent(self, request: Message, context: CallContext) -> Message:
        """One event Accedo One notifies the integration of; answered with an empty ack."""
        key, category, details = event_key(request)
        handler = EVENT_HANDLERS.get(key)
        if handler is None or key not in contract.EVENT_SUBSCRIPTIONS:
            raise InvalidRequestError(f"event {key!r} is not one this integration subscribes to")
        await handler(category, details, context)
        method = self.service.methods_by_name["OnEvent"]
        return message_factory.GetMessageClass(method.output_type)()


def event_key(request: Message) -> tuple[str, Message, Message]:
    """``(key, category message, details message)`` of an ``OnEvent`` request."""
    details_field = next((f for f in request.DESCRIPTOR.fields if f.json_name == "details"), None)
    if details_field is None:
        raise InvalidRequestError("the event request has no details field")
    details: Message = getattr(request, details_field.name)
    for oneof in details.DESCRIPTOR.oneofs:
        category_name = details.WhichOneof(oneof.name)
        if category_name is None:
            continue
        category: Message = getattr(details, category_name)
        for inner in category.DESCRIPTOR.oneofs:
            event_name = category.WhichOneof(inner.name)
            if event_name is not None:
                return f"{category_name}.{event_name}", category, details
        raise InvalidRequestError(f"the {category_name!r} event carries no event payload")
    raise InvalidRequestError("the event request names no event category")
