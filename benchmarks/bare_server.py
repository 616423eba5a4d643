"""The floor the generated server is measured against: a bare ``grpc.aio`` server.

It imports the same generated modules (``<package>.generated``: every ``_pb2`` and
``_pb2_grpc`` module of the contract), registers every service of the contract with
protoc's own ``add_<Service>Servicer_to_server`` and serves:

* ``IntegrationService.GetManifest``: the bytes of ``--manifest`` parsed once into the
  generated response class, returned as is (the generated server's answer, so both
  sides send the same message);
* ``CatalogSyncService.Sync`` (with ``--sync``): the synthetic vendor copied into the
  baked package (``<package>.synthetic_vendor``), exactly as the generated handler
  the streaming benchmark writes;
* every other method: protoc's default (``UNIMPLEMENTED``).

No interceptor, no configuration parsing, no logging, no health or reflection:
only what any gRPC service has to pay. Run with the baked project's ``src`` on
``PYTHONPATH``; prints nothing (readiness is the port accepting connections).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory


def servicer_for(package: str, service_name: str) -> tuple[Any, Any]:
    """protoc's servicer base class and ``add_..._to_server`` of a service."""
    contract = importlib.import_module(f"{package}.generated.contract")
    short = service_name.rsplit(".", 1)[-1]
    for module_name in contract.PB2_MODULES:
        grpc_module = importlib.import_module(f"{package}.generated.{module_name}_grpc")
        add = getattr(grpc_module, f"add_{short}Servicer_to_server", None)
        if add is not None:
            return getattr(grpc_module, f"{short}Servicer"), add
    raise LookupError(f"no generated servicer for {service_name}")


def manifest_method(service: Any, manifest_file: Path) -> Any:
    """``GetManifest`` answering the given bytes, parsed once into the response class."""
    output = service.methods_by_name["GetManifest"].output_type
    manifest = message_factory.GetMessageClass(output).FromString(manifest_file.read_bytes())

    async def get_manifest(self: Any, request: Any, context: Any) -> Any:
        return manifest

    return get_manifest


def sync_method(service: Any, package: str) -> Any:
    """``Sync`` streaming the synthetic vendor's pages, as the generated handler does."""
    vendor = importlib.import_module(f"{package}.synthetic_vendor")
    output = service.methods_by_name["Sync"].output_type
    response_class: Any = message_factory.GetMessageClass(output)
    entry_class = message_factory.GetMessageClass(output.fields_by_name["entries"].message_type)

    async def sync(self: Any, request: Any, context: Any) -> AsyncIterator[Any]:
        async for page in vendor.pages():
            yield response_class(entries=[vendor.to_entry(entry_class, i) for i in page])

    return sync


def build_server(arguments: argparse.Namespace) -> grpc.aio.Server:
    package = arguments.package
    contract = importlib.import_module(f"{package}.generated.contract")
    for module_name in contract.PB2_MODULES:
        importlib.import_module(f"{package}.generated.{module_name}")
    pool = descriptor_pool.Default()
    server = grpc.aio.server()
    for service_name, _role in contract.SERVICES:
        base, add = servicer_for(package, service_name)
        methods: dict[str, Any] = {}
        service = pool.FindServiceByName(service_name)
        if "GetManifest" in service.methods_by_name and arguments.manifest:
            methods["GetManifest"] = manifest_method(service, Path(arguments.manifest))
        if "Sync" in service.methods_by_name and arguments.sync:
            methods["Sync"] = sync_method(service, package)
        servicer = type(f"Bare{base.__name__}", (base,), methods)()
        add(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{arguments.port}")
    return server


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--package", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--manifest", help="file holding the serialized GetManifest response")
    parser.add_argument("--sync", action="store_true", help="serve Sync from the synthetic vendor")
    arguments = parser.parse_args()
    server = build_server(arguments)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(1)


if __name__ == "__main__":
    asyncio.run(main())
