"""The whole code generation, step by step (``init`` once, ``regen`` any time)."""

from __future__ import annotations

import filecmp
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .bundle import import_services
from .contract_writer import contract_source
from .event_writer import event_specs, write_events
from .layout import CodegenError, Layout
from .model import DescriptorModel
from .protoc import generate_python, make_imports_relative, module_of, proto_files
from .sample_writer import write_samples
from .stub_writer import handler_specs, registry_source, write_handler
from .tenant_writer import write_tenant_files
from .todo_writer import write_todo_tests
from .version_floors import generated_versions, raise_floors

GENERATED_INIT = '"""Generated from ``proto/`` by codegen: regenerate, never edit."""\n'


def init(layout: Layout, plan: dict[str, Any]) -> list[str]:
    """First generation, from the bake plan the template's hooks wrote."""
    requested = [service["name"] for service in plan["services"]]
    resolved = import_services(Path(plan["bundle_dir"]), requested, layout.proto_dir)
    contract = {
        "integration_type": plan["integration_type"],
        "vendor_name": plan["vendor_name"],
        "bundle_identifier": plan["bundle_identifier"],
        "services": [
            {
                "name": resolved[service["name"]],
                "role": service["role"],
                "requested": service["name"],
            }
            for service in plan["services"]
        ],
        "event_subscriptions": plan["event_subscriptions"],
    }
    layout.write_contract(contract)
    seeds = Path(plan["seed_samples_dir"]) if plan.get("seed_samples_dir") else None
    return regen(layout, seeds_dir=seeds)


def pull_bundle(layout: Layout, bundle: Path) -> list[str]:
    """Take the contract's services (and only what they import) from another bundle."""
    contract = layout.read_contract()
    requested = [service.get("requested", service["name"]) for service in contract["services"]]
    resolved = import_services(bundle.resolve(), requested, layout.proto_dir)
    for service, name in zip(contract["services"], requested, strict=True):
        service["name"] = resolved[name]
    layout.write_contract(contract)
    return [f"took {len(requested)} service(s) from {bundle}"]


def regen(layout: Layout, *, seeds_dir: Path | None = None) -> list[str]:
    """Regenerate generated/ and the registry; add what is missing; never overwrite."""
    contract = layout.read_contract()
    files = proto_files(layout.proto_dir)
    if not files:
        raise CodegenError(f"no .proto files in {layout.proto_dir}")
    staging = Path(tempfile.mkdtemp(prefix="generated-", dir=layout.package_dir))
    try:
        descriptor_set = generate_code(layout, contract, files, staging)
        old = layout.generated_dir.with_name("generated.old")
        shutil.rmtree(old, ignore_errors=True)
        if layout.generated_dir.exists():
            layout.generated_dir.rename(old)
        staging.rename(layout.generated_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    model = DescriptorModel.build(descriptor_set)
    services = [(service["name"], service["role"]) for service in contract["services"]]
    missing = [name for name, _ in services if name not in model.services]
    if missing:
        raise CodegenError(f"integration.json names services not in proto/: {', '.join(missing)}")
    specs = handler_specs(model, services)
    layout.handlers_dir.mkdir(parents=True, exist_ok=True)
    messages: list[str] = []
    for spec in specs:
        messages += write_handler(spec, layout.handlers_dir, layout.package)
    (layout.handlers_dir / "__init__.py").write_text(registry_source(specs), encoding="utf-8")
    events = contract["event_subscriptions"]
    event_services = [spec for spec in specs if spec.role == "event_dispatch"]
    if events and not event_services:
        raise CodegenError("events are subscribed but no service has the event_dispatch role")
    for spec in event_services:
        messages += write_events(
            event_specs(model, spec.service, events), layout.handlers_dir, layout.package
        )
    messages += write_samples(
        model,
        descriptor_set,
        [spec.service for spec in specs],
        {spec.service.full_name: events for spec in event_services},
        layout.samples_dir,
        seeds_dir,
    )
    messages += write_todo_tests(specs, events, layout.rpc_tests_dir, layout.package)
    messages += write_tenant_files(layout.root, contract["bundle_identifier"])
    messages += raise_floors(
        layout.root / "pyproject.toml", generated_versions(layout.generated_dir)
    )
    _report_orphans(layout, specs, messages)
    return messages


def generate_code(layout: Layout, contract: dict[str, Any], files: list[str], out_dir: Path) -> Any:
    """protoc's modules, made package-relative, plus ``contract.py``."""
    descriptor_set = generate_python(layout.proto_dir, files, out_dir)
    modules = sorted(module_of(name) for name in files)
    make_imports_relative(out_dir, set(modules))
    (out_dir / "__init__.py").write_text(GENERATED_INIT, encoding="utf-8")
    (out_dir / "contract.py").write_text(contract_source(contract, modules), encoding="utf-8")
    return descriptor_set


def check(layout: Layout) -> list[str]:
    """What regen would change in generated/ and the registry (empty: up to date)."""
    contract = layout.read_contract()
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "generated"
        fresh.mkdir()
        descriptor_set = generate_code(layout, contract, proto_files(layout.proto_dir), fresh)
        stale = _differences(fresh, layout.generated_dir)
        specs = handler_specs(
            DescriptorModel.build(descriptor_set),
            [(s["name"], s["role"]) for s in contract["services"]],
        )
        registry = layout.handlers_dir / "__init__.py"
        if not registry.exists() or registry.read_text(encoding="utf-8") != registry_source(specs):
            stale.append("handlers/__init__.py")
        for spec in specs:
            if not (layout.handlers_dir / f"{spec.module}.py").exists():
                stale.append(f"handlers/{spec.module}.py (missing)")
    return stale


def _differences(fresh: Path, current: Path) -> list[str]:
    stale = []
    names = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    if current.exists():
        names |= {
            p.relative_to(current)
            for p in current.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
    for name in sorted(names):
        a, b = fresh / name, current / name
        if not (a.exists() and b.exists() and filecmp.cmp(a, b, shallow=False)):
            stale.append(f"generated/{name.as_posix()}")
    return stale


def _report_orphans(layout: Layout, specs: list[Any], messages: list[str]) -> None:
    """Handler modules of services no longer in the contract are reported, not deleted."""
    known = {f"{spec.module}.py" for spec in specs} | {
        "__init__.py",
        "base.py",
        "platform.py",
        "events.py",
    }
    for path in sorted(layout.handlers_dir.glob("*.py")):
        if path.name not in known:
            messages.append(
                f"warning: handlers/{path.name} serves no service of integration.json (kept)"
            )


def read_plan(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as plan_file:
        plan: dict[str, Any] = json.load(plan_file)
    return plan
