"""Run the integration in-process and call it like Accedo One: for tests and benchmarks.

``async with Harness() as harness:`` starts the real server (every handler, the
call pipeline, logging) on a free local port, plaintext, and ``harness.call_sample``
sends an RPC its sample request with a test tenant's configuration.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from types import TracebackType
from typing import Any

import grpc
from google.protobuf.message import Message

from . import contracts
from .codegen.tenant_writer import tenant_document
from .generated import contract
from .rpc_caller import invoke, load_sample, requests_of
from .server import IntegrationServer
from .settings import Settings
from .vendor import VendorClient

TEST_SECRETS = {"preshared-key": "test-preshared-key-5a1e", "api-key": "test-api-key-0c2d"}


def sample_tenant(**secrets: str) -> dict[str, Any]:
    """A tenant configuration as Accedo One sends it, with test secrets filled in."""
    document = tenant_document(contract.BUNDLE_IDENTIFIER)
    for key, value in {**TEST_SECRETS, **secrets}.items():
        if key in document["values"]:
            document["values"][key]["secureString"]["decrypted"] = value
    return document


class Harness:
    """The integration on ``127.0.0.1:<free port>`` with a channel to it."""

    def __init__(
        self, settings: Settings | None = None, vendor: VendorClient | None = None
    ) -> None:
        base = settings or Settings(insecure=True)
        self.settings = replace(base, host="127.0.0.1", port=0)
        self.server = IntegrationServer(self.settings, vendor)
        self.channel: grpc.aio.Channel | None = None
        self.tenant = sample_tenant()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    async def __aenter__(self) -> Harness:
        await self.server.start()
        self.channel = grpc.aio.insecure_channel(self.address)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.channel is not None:
            await self.channel.close()
        await self.server.stop(grace=1.0)

    async def call(
        self,
        name: str,
        document: Any,
        *,
        tenant: Any | None = None,
        timeout: float = 10.0,
        metadata: Sequence[tuple[str, str]] = (),
    ) -> list[Message]:
        """Call ``name`` (``Service.Method``) with a JSON request; the tenant is added."""
        assert self.channel is not None, "use the harness in `async with`"
        rpc = contracts.find_rpc(name)
        requests = requests_of(rpc, document, self.tenant if tenant is None else tenant)
        return await invoke(self.channel, rpc, requests, timeout=timeout, metadata=metadata)

    async def call_sample(
        self, service: str, method: str, *, event: str | None = None
    ) -> list[Message]:
        """Call an RPC with its sample request from ``samples/``."""
        rpc = contracts.find_rpc(f"{service}.{method}")
        return await self.call(rpc.path, copy.deepcopy(load_sample(rpc, event)))
