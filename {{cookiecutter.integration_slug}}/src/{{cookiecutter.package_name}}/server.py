"""The ``grpc.aio`` server: the integration's services, health, reflection, shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from . import contracts, metrics
from .call_pipeline import CallPipeline
from .handlers import HANDLERS
from .parameters import PARAMETERS
from .settings import Settings
from .structured_logging import add_service_secret
from .tenant_config import TenantConfigParser
from .vendor import VendorClient

logger = logging.getLogger(__name__)


def server_options(settings: Settings) -> list[tuple[str, Any]]:
    """Limits and connection hygiene, from the settings."""
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.keepalive_time_ms", int(settings.keepalive_time * 1000)),
        ("grpc.keepalive_timeout_ms", int(settings.keepalive_timeout * 1000)),
        ("grpc.so_reuseport", 1),  # lets --workers processes share the port
    ]
    if settings.max_connection_age > 0:
        # Long-lived HTTP/2 connections pin a client to one replica; ageing them out
        # lets a load balancer spread calls again.
        options.append(("grpc.max_connection_age_ms", int(settings.max_connection_age * 1000)))
        options.append(
            ("grpc.max_connection_age_grace_ms", int(settings.max_connection_age_grace * 1000))
        )
    return options


def server_credentials(settings: Settings) -> grpc.ServerCredentials:
    key = Path(settings.tls_key).read_bytes()
    chain = Path(settings.tls_cert).read_bytes()
    client_ca = Path(settings.tls_client_ca).read_bytes() if settings.tls_client_ca else None
    return grpc.ssl_server_credentials(
        [(key, chain)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


class IntegrationServer:
    """One server process. ``start()`` binds and serves; ``stop()`` drains and ends."""

    def __init__(self, settings: Settings, vendor: VendorClient | None = None) -> None:
        self.settings = settings
        self.vendor = vendor or VendorClient(timeout=settings.vendor_timeout)
        self.health = health_aio.HealthServicer()
        self.port = 0
        limit = settings.max_concurrent_rpcs or None
        self._server = grpc.aio.server(
            options=server_options(settings), maximum_concurrent_rpcs=limit
        )
        if settings.preshared_key:
            add_service_secret(settings.preshared_key)
        pipeline = CallPipeline(TenantConfigParser(PARAMETERS), settings.preshared_key or None)
        for name in contracts.service_names():
            service = contracts.service(name)
            handler = HANDLERS[name](service, self.vendor)
            methods = {
                method.name: pipeline.method_handler(method, getattr(handler, method.name))
                for method in service.methods
            }
            self._server.add_generic_rpc_handlers(
                (grpc.method_handlers_generic_handler(name, methods),)
            )
            self._server.add_registered_method_handlers(name, methods)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        reflection.enable_server_reflection(
            (
                *contracts.service_names(),
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            self._server,
        )

    async def start(self) -> int:
        address = f"{self.settings.host}:{self.settings.port}"
        if self.settings.insecure:
            logger.warning("serving PLAINTEXT on %s: use TLS outside local development", address)
            self.port = self._server.add_insecure_port(address)
        else:
            self.port = self._server.add_secure_port(address, server_credentials(self.settings))
        if self.port == 0:
            raise OSError(f"cannot listen on {address}")
        await self._server.start()
        for name in ("", *contracts.service_names()):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        logger.info(
            "serving %d services on %s:%d (%s)",
            len(contracts.service_names()),
            self.settings.host,
            self.port,
            "plaintext" if self.settings.insecure else "TLS",
        )
        return self.port

    async def stop(self, grace: float | None = None) -> None:
        """Health goes NOT_SERVING first, new calls are refused, in-flight ones get ``grace``."""
        await self.health.enter_graceful_shutdown()
        await self._server.stop(self.settings.grace_period if grace is None else grace)
        await self.vendor.aclose()

    async def wait_for_termination(self) -> None:
        await self._server.wait_for_termination()


async def serve(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT, then shut down cleanly and return 0."""
    if settings.metrics_port:
        metrics.serve(settings.metrics_port)
    server = IntegrationServer(settings)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Explicit handlers: as PID 1 in a container, SIGTERM has no default action.
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    logger.info("shutting down: finishing in-flight calls (grace %.1fs)", settings.grace_period)
    await server.stop()
    logger.info("stopped")
    return 0
