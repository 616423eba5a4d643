"""``handlers/events.py``: one function per subscribed event key.

The key ``<category>.<event>`` names a path in the ``OnEvent`` request: the field
set in ``details``' category oneof, then the field set in that category's oneof.
Each function receives the category message (e.g. ``ContentEvent``, holding the
user, content and event payload) and the whole details message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .imports import add_imports, import_block
from .layout import CodegenError
from .model import DescriptorModel, ServiceModel, TypeRef, snake_case
from .pysource import docstring, string_literal
from .stub_writer import import_of

MODULE = "events.py"


@dataclass(frozen=True)
class EventSpec:
    key: str
    category: TypeRef
    details: TypeRef
    comment: str

    @property
    def function(self) -> str:
        return "on_" + snake_case(self.key.replace(".", "_"))


def event_specs(model: DescriptorModel, service: ServiceModel, keys: list[str]) -> list[EventSpec]:
    """Resolve each key through the descriptors of the ``OnEvent`` request."""
    on_event = next((m for m in service.methods if m.name == "OnEvent"), None)
    if on_event is None:
        raise CodegenError(f"{service.full_name} has no OnEvent RPC")
    request = model.messages[on_event.input.full_name]
    details_field = next((f for f in request.field if f.json_name == "details"), None)
    if details_field is None:
        raise CodegenError(f"{on_event.input.full_name} has no details field")
    details = model.types[details_field.type_name.lstrip(".")]
    specs = []
    for key in keys:
        category_name, _, event_name = key.partition(".")
        category_field = _field(model, details.full_name, category_name)
        if category_field is None:
            raise CodegenError(f"event {key}: {details.full_name} has no field {category_name}")
        category = model.types[category_field.type_name.lstrip(".")]
        event_field = _field(model, category.full_name, event_name)
        if event_field is None:
            raise CodegenError(f"event {key}: {category.full_name} has no field {event_name}")
        comment = model.field_comments.get((category.full_name, event_name), "")
        specs.append(EventSpec(key, category, details, comment))
    return specs


def _field(model: DescriptorModel, message: str, name: str):  # type: ignore[no-untyped-def]
    return next((f for f in model.messages[message].field if f.name == name), None)


def function_source(spec: EventSpec) -> str:
    category = f"{spec.category.module_alias}.{spec.category.qualname}"
    details = f"{spec.details.module_alias}.{spec.details.qualname}"
    return (
        f"@on_event({string_literal(spec.key)})\n"
        f"async def {spec.function}(\n"
        f"    event: {category},\n"
        f"    details: {details},\n"
        "    context: CallContext,\n"
        ") -> None:\n"
        f"{docstring(spec.comment or f'The {spec.key} event.', '    ')}"
        "    raise NotImplementedError\n"
    )


def _imports(specs: list[EventSpec]) -> list[tuple[str, str]]:
    pairs = [import_of(ref) for spec in specs for ref in (spec.category, spec.details)]
    return [*pairs, ("..call_context", "CallContext"), (".platform", "on_event")]


def write_events(specs: list[EventSpec], handlers_dir: Path, package: str) -> list[str]:
    path = handlers_dir / MODULE
    if not path.exists():
        header = docstring(
            "Handlers of the Accedo One events this integration subscribes to (yours to fill).\n\n"
            "``integration.json`` lists the subscriptions, which the manifest announces; "
            f"``python -m {package} regen`` adds a function here for each new one.",
            "",
        )
        body = "".join("\n\n" + function_source(spec) for spec in specs)
        imports = import_block([("__future__", "annotations"), *_imports(specs)])
        path.write_text(f"{header}\n{imports}{body}", encoding="utf-8")
        return [f"wrote {MODULE}: {len(specs)} event handler stub(s)"]
    source = path.read_text(encoding="utf-8")
    missing = [spec for spec in specs if f"@on_event({string_literal(spec.key)})" not in source]
    if not missing:
        return []
    source = (
        source.rstrip("\n") + "\n" + "".join("\n\n" + function_source(spec) for spec in missing)
    )
    path.write_text(add_imports(source, _imports(missing)), encoding="utf-8")
    return [f"added to {MODULE}: {', '.join(spec.key for spec in missing)}"]
