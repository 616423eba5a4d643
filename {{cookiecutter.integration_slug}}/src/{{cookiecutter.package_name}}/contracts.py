"""The gRPC contracts this integration serves, loaded from the generated code.

``generated/contract.py`` (written by codegen from ``integration.json``) lists the
services, their roles and the generated modules; importing those modules registers
their descriptors, which is all the server, the ``call`` command and the tests need.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from .generated import contract

GENERATED_PACKAGE = f"{__package__}.generated"


@dataclass(frozen=True)
class Rpc:
    """One RPC: ``service`` full name, ``name`` and its descriptor."""

    service: str
    name: str
    descriptor: MethodDescriptor

    @property
    def path(self) -> str:
        """The HTTP/2 path gRPC uses, e.g. ``/drm.DRMTokenService/GenerateToken``."""
        return f"/{self.service}/{self.name}"

    @property
    def label(self) -> str:
        return f"{self.service.rsplit('.', 1)[-1]}.{self.name}"

    @property
    def kind(self) -> str:
        streams = (self.descriptor.client_streaming, self.descriptor.server_streaming)
        return {
            (False, False): "unary",
            (False, True): "server-streaming",
            (True, False): "client-streaming",
            (True, True): "bidi-streaming",
        }[streams]


@functools.cache
def load_generated_modules() -> None:
    for module in contract.PB2_MODULES:
        importlib.import_module(f"{GENERATED_PACKAGE}.{module}")


def service(name: str) -> ServiceDescriptor:
    load_generated_modules()
    return descriptor_pool.Default().FindServiceByName(name)


def service_names() -> tuple[str, ...]:
    return tuple(name for name, _role in contract.SERVICES)


def rpcs() -> list[Rpc]:
    """Every RPC the integration serves, in contract order."""
    return [
        Rpc(name, method.name, method)
        for name in service_names()
        for method in service(name).methods
    ]


def find_rpc(text: str) -> Rpc:
    """An RPC by ``Service.Method``, ``package.Service.Method`` or ``/package.Service/Method``."""
    wanted = text.strip("/").replace("/", ".")
    matches = [
        rpc
        for rpc in rpcs()
        if f"{rpc.service}.{rpc.name}" == wanted
        or f"{rpc.service}.{rpc.name}".endswith(f".{wanted}")
    ]
    exact = [rpc for rpc in matches if f"{rpc.service}.{rpc.name}" == wanted or rpc.label == wanted]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(rpc.label for rpc in rpcs())
    if not matches:
        raise LookupError(f"no RPC named {text!r}; known: {known}")
    raise LookupError(
        f"{text!r} is ambiguous; use the full name ({', '.join(r.path for r in matches)})"
    )
