"""The ``grpc.aio`` server: the integration's services, health, reflection, shutdown.

Shutdown (SIGTERM or SIGINT, e.g. from Kubernetes or Ctrl-C) goes in this order:

1. health turns ``NOT_SERVING`` for every service, so probes and load balancers stop
   sending new calls here;
2. after ``--shutdown-delay`` seconds (default 0) the server stops listening: new
   calls are refused (``UNAVAILABLE``; ``CANCELLED`` for one that arrives the very
   moment it stops) without reaching a handler, and the client reconnects elsewhere;
3. calls in flight get ``--grace-period`` seconds to finish, then are cancelled; once
   they are all done, the stop is over (it does not wait out the grace period);
4. the process exits 0. A second signal skips the waiting.

The optional ``--health-port`` serves only the health service, in plaintext, so a
TLS (or mutual TLS) service can still be probed by Kubernetes and Docker, whose gRPC
probes speak no TLS. It keeps answering ``NOT_SERVING`` until the main server is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Mapping
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
from .settings import Settings, environment_settings
from .structured_logging import add_service_secret
from .tenant_config import TenantConfigParser
from .vendor import VendorClient

logger = logging.getLogger(__name__)
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
# On shutdown, how long the service must have no call running before the stop is over.
IDLE_SETTLE_SECONDS = 0.05


def server_options(settings: Settings) -> list[tuple[str, Any]]:
    """Limits and connection hygiene, from the settings."""
    options: list[tuple[str, Any]] = [
        # Larger requests are refused with RESOURCE_EXHAUSTED before any handler runs.
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        # Our pings find dead connections (a vanished load balancer, a NAT that forgot us).
        ("grpc.keepalive_time_ms", int(settings.keepalive_time * 1000)),
        ("grpc.keepalive_timeout_ms", int(settings.keepalive_timeout * 1000)),
        # The caller's pings are welcome too, up to one every 10 s, even between calls;
        # by default gRPC would answer a keen client with GOAWAY "too_many_pings".
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        # --workers processes share the port; a lone process must own it, so a second
        # copy started by mistake fails to bind instead of quietly taking half the calls.
        ("grpc.so_reuseport", 1 if settings.workers > 1 else 0),
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
    """TLS from the PEM files; with a client CA, clients must present a certificate it signed."""
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
        self.health_port = 0
        self._health_server: grpc.aio.Server | None = None
        self._stop_now = asyncio.Event()
        self._stopping: asyncio.Task[None] | None = None
        self._cancelling: asyncio.Task[None] | None = None
        limit = settings.max_concurrent_rpcs or None
        self._server = grpc.aio.server(
            options=server_options(settings), maximum_concurrent_rpcs=limit
        )
        if settings.preshared_key:
            add_service_secret(settings.preshared_key)
        self.pipeline = CallPipeline(TenantConfigParser(PARAMETERS), settings.preshared_key or None)
        for name in contracts.service_names():
            service = contracts.service(name)
            handler = HANDLERS[name](service, self.vendor)
            methods = {
                method.name: self.pipeline.method_handler(method, getattr(handler, method.name))
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
        """Bind, serve and mark every service ``SERVING``; returns the bound port."""
        address = f"{self.settings.host}:{self.settings.port}"
        if self.settings.insecure:
            self.port = self._server.add_insecure_port(address)
        else:
            self.port = self._server.add_secure_port(address, server_credentials(self.settings))
        if self.port == 0:
            raise OSError(f"cannot listen on {address}")
        if self.settings.insecure:
            logger.warning(
                "serving PLAINTEXT on %s:%d: use TLS outside local development",
                self.settings.host,
                self.port,
            )
        await self._server.start()
        if self.settings.health_port:
            # Only once the service answers, so a probe never sees SERVING before it does.
            reuse = 1 if self.settings.workers > 1 else 0
            self._health_server = grpc.aio.server(options=[("grpc.so_reuseport", reuse)])
            health_pb2_grpc.add_HealthServicer_to_server(self.health, self._health_server)
            health_address = f"{self.settings.host}:{self.settings.health_port}"
            self.health_port = self._health_server.add_insecure_port(health_address)
            if self.health_port == 0:
                raise OSError(f"cannot listen on {health_address}")
            await self._health_server.start()
        for name in ("", *contracts.service_names()):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        logger.info(
            "serving %d services on %s:%d (%s)%s",
            len(contracts.service_names()),
            self.settings.host,
            self.port,
            self._security(),
            f", health checks on port {self.health_port}" if self.health_port else "",
        )
        return self.port

    def _security(self) -> str:
        if self.settings.insecure:
            return "plaintext"
        return "mutual TLS" if self.settings.tls_client_ca else "TLS"

    async def stop(self, grace: float | None = None) -> None:
        """Health goes NOT_SERVING first, new calls are refused, in-flight ones get ``grace``.

        Safe to call more than once: later calls wait for the first to finish.
        """
        if self._stopping is None:
            period = self.settings.grace_period if grace is None else grace
            self._stopping = asyncio.ensure_future(self._shut_down(period))
        await asyncio.shield(self._stopping)

    def stop_now(self) -> None:
        """Skip the shutdown delay and cancel the calls still in flight (a second signal)."""
        self._stop_now.set()
        if self._stopping is not None:
            # grace=None cancels every call at once, even during a stop(grace) in progress.
            self._cancelling = asyncio.ensure_future(self._server.stop(None))

    async def _shut_down(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        delay = self.settings.shutdown_delay
        if delay > 0 and not self._stop_now.is_set():
            logger.info("health is NOT_SERVING; accepting calls for %.1fs more", delay)
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(self._stop_now.wait(), delay)
        # gRPC refuses new calls once its stop() has begun (the task's first step runs at
        # the next turn of the loop), though the listening socket may close a moment later.
        stopping = asyncio.ensure_future(
            self._server.stop(None if self._stop_now.is_set() else grace)
        )
        await asyncio.sleep(0)
        logger.info(
            "refusing new calls; %d in flight get up to %.1fs to finish",
            self.pipeline.in_flight,
            grace,
        )
        await self._end_when_idle(stopping)
        await stopping
        if self._health_server is not None:
            await self._health_server.stop(None)
        await self.vendor.aclose()

    async def _end_when_idle(self, stopping: asyncio.Future[None]) -> None:
        """Once the calls the service started are done, end the stop.

        gRPC can hold a call that arrived as it stopped listening without ever handing it
        to the service, and end it only when the grace period is over
        (https://github.com/grpc/grpc/issues/41785). Such calls are ended at once instead
        (``CANCELLED``: no handler ran, so a retry is safe).
        """
        while not stopping.done():
            idle = asyncio.ensure_future(self.pipeline.wait_until_idle())
            await asyncio.wait((stopping, idle), return_when=asyncio.FIRST_COMPLETED)
            idle.cancel()
            # A call gRPC handed over a moment ago may not have reached the pipeline yet.
            await asyncio.wait((stopping,), timeout=IDLE_SETTLE_SECONDS)
            if not stopping.done() and not self.pipeline.in_flight:
                await self._server.stop(None)

    async def wait_for_termination(self) -> None:
        await self._server.wait_for_termination()


async def serve(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT, then shut down cleanly and return 0."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    server: IntegrationServer | None = None

    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        if not stop.is_set():
            logger.info("%s received: shutting down", name)
            stop.set()
        elif server is not None:
            logger.warning("%s received again: cancelling the calls still in flight", name)
            server.stop_now()

    # Handlers first, so a signal during start-up is a clean shutdown too. They are
    # explicit because as PID 1 in a container SIGTERM has no default action.
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        metrics_server = metrics.serve(settings.metrics_port) if settings.metrics_port else None
        server = IntegrationServer(settings)
        await server.start()
    except (OSError, RuntimeError) as error:  # a port in use, an unreadable certificate
        logger.error("cannot start: %s", error)
        return 1
    if metrics_server is not None:
        logger.info("metrics on port %d", settings.metrics_port)
    await stop.wait()
    await server.stop()
    if metrics_server is not None:
        metrics_server.shutdown()
    logger.info("stopped")
    return 0


def probe_address(environ: Mapping[str, str] | None = None) -> str | None:
    """Where ``healthcheck`` asks: the health port, else a plaintext main port, else nowhere."""
    settings = environment_settings(environ)
    if settings.health_port:
        return f"127.0.0.1:{settings.health_port}"
    if settings.insecure and settings.port:
        return f"127.0.0.1:{settings.port}"
    return None


def check_health(address: str | None = None, timeout: float = 3.0) -> int:
    """Exit status for a container health check: 0 when the service answers ``SERVING``."""
    address = address or probe_address()
    if address is None:
        print(
            "healthcheck: a TLS service is probed on its health port: set INTEGRATION_HEALTH_PORT",
            file=sys.stderr,
        )
        return 2
    with grpc.insecure_channel(address) as channel:
        check = channel.unary_unary(
            HEALTH_CHECK,
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        try:
            response = check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError as error:
            print(f"healthcheck: {address}: {error.code().name}", file=sys.stderr)
            return 1
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        print(f"healthcheck: {address} is {status}", file=sys.stderr)
        return 1
    return 0
