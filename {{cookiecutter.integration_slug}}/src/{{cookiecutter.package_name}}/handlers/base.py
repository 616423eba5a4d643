"""The base class of every service handler."""

from __future__ import annotations

from typing import ClassVar

from google.protobuf.descriptor import ServiceDescriptor

from ..vendor import VendorClient


class ServiceHandler:
    """Serves one gRPC service: one ``async`` method per RPC, named as in the ``.proto``.

    Each method receives the request message and a :class:`~..call_context.CallContext`
    (``context.tenant`` is the caller's configuration) and returns the response message
    (server-streaming RPCs: yields them). Raise an exception from ``..errors`` to answer
    with a specific status; an unfilled method raises ``NotImplementedError``, which
    answers ``UNIMPLEMENTED``.
    """

    service_name: ClassVar[str]

    def __init__(self, service: ServiceDescriptor, vendor: VendorClient) -> None:
        self.service = service
        self.vendor = vendor
