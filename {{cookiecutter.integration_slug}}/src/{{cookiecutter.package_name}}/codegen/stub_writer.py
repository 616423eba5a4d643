"""Handler modules: one class per service, one method per RPC, from the descriptors.

New modules are written whole. Existing ones belong to the vendor: only the
methods of RPCs they lack are appended to their class (with any import those need);
methods of RPCs that left the contract are reported, never removed.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .imports import add_imports, import_block
from .layout import CodegenError
from .model import DescriptorModel, MethodModel, ServiceModel, TypeRef, snake_case
from .pysource import docstring, string_literal

# Roles whose base class already serves some RPCs (see handlers/platform.py).
ROLE_BASES = {
    "vendor": (".base", "ServiceHandler", ()),
    "manifest": (".platform", "ManifestHandler", ("GetManifest",)),
    "event_dispatch": (".platform", "EventDispatchHandler", ("OnEvent",)),
}
RESERVED_MODULES = {"__init__", "base", "platform", "events"}
STUB_BODY = "raise NotImplementedError"


@dataclass(frozen=True)
class HandlerSpec:
    service: ServiceModel
    role: str
    module: str  # file name in handlers/, without .py

    @property
    def own_methods(self) -> tuple[MethodModel, ...]:
        served_by_base = ROLE_BASES[self.role][2]
        return tuple(method for method in self.service.methods if method.name not in served_by_base)


def handler_specs(model: DescriptorModel, services: Iterable[tuple[str, str]]) -> list[HandlerSpec]:
    """Decide the module of each service's handler; names never clash."""
    specs: list[HandlerSpec] = []
    taken = set(RESERVED_MODULES)
    for full_name, role in services:
        service = model.services[full_name]
        module = snake_case(service.name)
        if module in taken:
            module = snake_case(full_name.replace(".", "_"))
        while module in taken:
            module += "_"
        taken.add(module)
        for method in service.methods:
            if keyword.iskeyword(method.name) or not method.name.isidentifier():
                raise CodegenError(f"RPC {full_name}.{method.name} cannot be a Python method name")
        specs.append(HandlerSpec(service, role, module))
    return specs


def import_of(ref: TypeRef) -> tuple[str, str]:
    """``(source, name)`` of the import that brings ``ref``'s module into a handler."""
    package, _, name = ref.module.rpartition(".")
    if package == "google.protobuf":  # well-known types come with protobuf itself
        return package, name
    return (f"..generated.{package}" if package else "..generated"), name


def method_source(method: MethodModel, service: ServiceModel) -> str:
    """One stub method, formatted as ``ruff format`` would."""
    request = f"{method.input.module_alias}.{method.input.qualname}"
    response = f"{method.output.module_alias}.{method.output.qualname}"
    parameter = (
        f"requests: AsyncIterator[{request}]" if method.client_streaming else f"request: {request}"
    )
    returns = f"AsyncIterator[{response}]" if method.server_streaming else response
    prefix = "def" if method.server_streaming else "async def"
    notes = [method.comment or f"The {method.name} RPC of {service.name}."]
    if method.client_streaming:
        notes.append("Client-streaming: read the requests with ``async for request in requests``.")
    if method.server_streaming:
        notes.append(
            "Server-streaming: make this an ``async def`` that ``yield``s each response. If the"
            " stream cannot be completed, raise: never end it early as if it were complete."
        )
    paragraphs = "\n\n".join(notes)
    return (
        f"    {prefix} {method.name}(\n"
        "        self,\n"
        f"        {parameter},\n"
        "        context: CallContext,\n"
        f"    ) -> {returns}:\n"
        f"{docstring(paragraphs, ' ' * 8)}"
        f"        {STUB_BODY}\n"
    )


def _needs_async_iterator(methods: Iterable[MethodModel]) -> bool:
    return any(method.client_streaming or method.server_streaming for method in methods)


def module_source(spec: HandlerSpec, package: str) -> str:
    base_module, base_class, _ = ROLE_BASES[spec.role]
    methods = spec.own_methods
    pairs = [import_of(ref) for method in methods for ref in (method.input, method.output)]
    lines = [
        docstring(
            f"Handlers of ``{spec.service.full_name}`` (yours to fill).\n\n"
            f"``python -m {package} regen`` adds a stub here for each new RPC of the service and"
            " never rewrites a method you filled in.",
            "",
        ),
        "\n",
    ]
    pairs.append(("__future__", "annotations"))
    if _needs_async_iterator(methods):
        pairs.append(("collections.abc", "AsyncIterator"))
    if methods:
        pairs.append(("..call_context", "CallContext"))
    pairs.append((base_module, base_class))
    lines.append(import_block(pairs))
    lines.append("\n\n")
    lines.append(f"class {spec.service.name}({base_class}):\n")
    lines.append(docstring(spec.service.comment or f"The {spec.service.name} service.", "    "))
    lines.append(f"\n    service_name = {string_literal(spec.service.full_name)}\n")
    for method in methods:
        lines.append("\n" + method_source(method, spec.service))
    return "".join(lines)


def write_handler(spec: HandlerSpec, handlers_dir: Path, package: str) -> list[str]:
    """Create or extend one handler module; returns messages for the user."""
    path = handlers_dir / f"{spec.module}.py"
    if not path.exists():
        path.write_text(module_source(spec, package), encoding="utf-8")
        return [f"wrote {path.name}: {len(spec.own_methods)} stub(s) for {spec.service.full_name}"]
    return extend_handler(path, spec)


def extend_handler(path: Path, spec: HandlerSpec) -> list[str]:
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise CodegenError(
            f"{path} does not parse ({error.msg}, line {error.lineno}); fix it first"
        ) from None
    classes = [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == spec.service.name
    ]
    if not classes:
        return [f"warning: {path.name} has no class {spec.service.name}; not changed"]
    cls = classes[0]
    existing = {
        node.name for node in cls.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    wanted = {method.name for method in spec.service.methods}
    messages = [
        f"warning: {spec.service.name}.{name} in {path.name}: its RPC left the contract (kept)"
        for name in sorted(existing - wanted)
        if name[:1].isupper()
    ]
    missing = [method for method in spec.own_methods if method.name not in existing]
    if not missing:
        return messages
    lines = source.splitlines(keepends=True)
    assert cls.end_lineno is not None
    if not lines[cls.end_lineno - 1].endswith("\n"):
        lines[cls.end_lineno - 1] += "\n"
    # Right after the class's last statement: the blank lines after the class stay below.
    insertion = "".join("\n" + method_source(method, spec.service) for method in missing)
    lines.insert(cls.end_lineno, insertion)
    needed = [import_of(ref) for method in missing for ref in (method.input, method.output)]
    needed.append(("..call_context", "CallContext"))
    if _needs_async_iterator(missing):
        needed.append(("collections.abc", "AsyncIterator"))
    text = add_imports("".join(lines), needed)
    path.write_text(text, encoding="utf-8")
    names = ", ".join(method.name for method in missing)
    return [*messages, f"added to {path.name}: {names}"]


def registry_source(specs: list[HandlerSpec]) -> str:
    """``handlers/__init__.py``: which class serves which service."""
    aliases: list[str] = []
    imports = ["from .base import ServiceHandler"]
    for spec in specs:
        alias = spec.service.name
        if alias in aliases:  # two services with one short name, in different packages
            alias = f"{snake_case(spec.module).title().replace('_', '')}Handler"
        aliases.append(alias)
        suffix = f" as {alias}" if alias != spec.service.name else ""
        imports.append(f"from .{spec.module} import {spec.service.name}{suffix}")
    entries = "".join(f"    {alias},\n" for alias in aliases)
    return (
        docstring(
            "Which handler class serves which gRPC service.\n\n"
            "Written by codegen from ``integration.json``; do not edit (run ``regen``).",
            "",
        )
        + "\nfrom __future__ import annotations\n\n"
        + "".join(f"{line}\n" for line in sorted(imports))
        + "\nHANDLER_CLASSES: tuple[type[ServiceHandler], ...] = (\n"
        + entries
        + ")\n"
        + "HANDLERS: dict[str, type[ServiceHandler]] = {\n"
        + "    handler.service_name: handler for handler in HANDLER_CLASSES\n"
        + "}\n"
    )
