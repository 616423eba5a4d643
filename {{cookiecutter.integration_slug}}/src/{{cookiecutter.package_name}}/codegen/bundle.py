"""Finding the services of the contract in a bundle of ``.proto`` files.

A service is looked up by full name (``drm.DRMTokenService``), else by its short
name (``DRMTokenService``) when exactly one service of the bundle has it; so the
official Accedo One bundle can be used whatever its package layout. Only the files
that define the services, with their transitive imports, are copied to ``proto/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from google.protobuf import descriptor_pb2

from .layout import CodegenError
from .protoc import compile_descriptors, proto_files

WELL_KNOWN_PREFIX = "google/protobuf/"


def service_index(descriptor_set: descriptor_pb2.FileDescriptorSet) -> dict[str, str]:
    """Full name of every service → the file defining it."""
    index: dict[str, str] = {}
    for file in descriptor_set.file:
        prefix = f"{file.package}." if file.package else ""
        for service in file.service:
            index[prefix + service.name] = file.name
    return index


def resolve(requested: str, services: dict[str, str], searched: Path) -> str:
    """The full name in the bundle of a service asked for by full or short name."""
    if requested in services:
        return requested
    short = requested.rsplit(".", 1)[-1]
    matches = sorted(name for name in services if name.rsplit(".", 1)[-1] == short)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CodegenError(
            f"service {requested} (or any service named {short}) not found in {searched}"
        )
    raise CodegenError(f"service name {short} is ambiguous in {searched}: {', '.join(matches)}")


def needed_files(
    descriptor_set: descriptor_pb2.FileDescriptorSet, roots: Iterable[str]
) -> list[str]:
    """``roots`` and every file they import, transitively (well-known types excluded)."""
    by_name = {file.name: file for file in descriptor_set.file}
    needed: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in needed or name.startswith(WELL_KNOWN_PREFIX):
            continue
        needed.add(name)
        pending.extend(by_name[name].dependency)
    return sorted(needed)


def import_services(bundle: Path, requested: list[str], proto_dir: Path) -> dict[str, str]:
    """Copy what ``requested`` services need from ``bundle`` into ``proto_dir``.

    Returns requested name → full name in the bundle. ``proto_dir`` is replaced only
    once everything resolved, so a failure leaves the previous contracts untouched.
    """
    files = proto_files(bundle)
    if not files:
        raise CodegenError(f"no .proto files in {bundle}")
    descriptor_set = compile_descriptors(bundle, files)
    services = service_index(descriptor_set)
    resolved = {name: resolve(name, services, bundle) for name in requested}
    if len(set(resolved.values())) != len(resolved):
        raise CodegenError(f"two requested services resolve to the same service in {bundle}")
    copy = needed_files(descriptor_set, (services[name] for name in resolved.values()))
    staging = proto_dir.with_name(proto_dir.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    for name in copy:
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle / name, target)
    if proto_dir.exists():
        shutil.rmtree(proto_dir)
    staging.rename(proto_dir)
    return resolved
