"""Helpers of the reliability tests: a fake vendor, tenants, test-only handlers.

The tests must hold for every integration type, before any vendor code is written,
so they use only what every generated project has:

* ``IntegrationService.GetManifest``, served by every project. For the tests, a
  small *filled* handler class is registered in ``HANDLERS`` in place of the real
  one (:func:`serving`), for one test only. Its usual behaviour (:func:`echo_tenant`)
  calls the vendor through the project's own vendor client, the way a real handler
  does, and answers with values taken from the caller's configuration and from the
  vendor's answer, so a test can tell whose answer it got. It writes them into
  ``manifest.eventSubscriptions``, the one manifest field Accedo One documents (an
  official bundle may name or number the other fields differently). Registering a
  class, rather than patching a method, leaves the project's handlers untouched and
  is how a filled handler is really served.
* A test-only server-streaming RPC (:class:`CrawlService`), built from a descriptor
  made here and served through the project's real :class:`CallPipeline` (the code
  that wraps every RPC of the service), because not every integration type has a
  streaming RPC. A bare ``grpc.aio`` server is enough: streaming faults are the
  pipeline's business, the rest of the server is tested through ``Harness``.
* :class:`FakeVendor`: a real HTTP/1.1 server on ``127.0.0.1`` (a few lines of
  asyncio, no dependency) whose behaviour is chosen by the first segment of the
  path, i.e. by the tenant's ``api-base-url``: answer, hang, fail with 503, reset
  the connection, and so on. It counts what it saw, so a test can prove a request
  was aborted, never sent, or sent exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import struct
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import FileDescriptor, MethodDescriptor
from google.protobuf.message import Message

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.call_context import (
    CallContext,
)
from {{ cookiecutter.package_name }}.call_pipeline import (
    CallPipeline,
)
from {{ cookiecutter.package_name }}.handlers import (
    HANDLERS,
)
from {{ cookiecutter.package_name }}.handlers.base import (
    ServiceHandler,
)
from {{ cookiecutter.package_name }}.parameters import (
    PARAMETERS,
    PRESHARED_KEY,
)
from {{ cookiecutter.package_name }}.settings import (
    Settings,
)
from {{ cookiecutter.package_name }}.tenant_config import (
    TenantConfigParser,
)
from {{ cookiecutter.package_name }}.testing import (
    TEST_SECRETS,
    Harness,
    sample_tenant,
)
from {{ cookiecutter.package_name }}.vendor import (
    VendorClient,
)

logger = logging.getLogger(__name__)

MANIFEST = contracts.find_rpc("IntegrationService.GetManifest")
MANIFEST_REQUEST: type[Message] = message_factory.GetMessageClass(MANIFEST.descriptor.input_type)
MANIFEST_RESPONSE: type[Message] = message_factory.GetMessageClass(MANIFEST.descriptor.output_type)
# The shared secret the service runs with in the tests that check callers.
SERVICE_KEY = "rel-service-preshared-7d41"
# Every secret any reliability test uses: none may reach a log line or a status message.
SECRETS: list[str] = [SERVICE_KEY, *TEST_SECRETS.values()]


def secret(text: str) -> str:
    """A secret value for a test, registered so every test checks it never leaks."""
    if text not in SECRETS:
        SECRETS.append(text)
    return text


def assert_no_secrets(text: str) -> None:
    for value in SECRETS:
        assert value not in text, "a secret value leaked into a log line or status message"


# -- tenants -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """One Accedo One customer: its configuration, and what its calls must get back."""

    bundle: str
    api_key: str
    tag: str  # the vendor path segment of its api-base-url
    mode: str = "ok"  # how the fake vendor treats its calls (see FakeVendor)
    preshared_key: str = SERVICE_KEY  # "": the configuration carries none
    preshared_as_text: bool = False  # sent as a stringValue instead of a secureString
    url: str = ""  # a base URL elsewhere than the fake vendor (e.g. a closed port)

    @property
    def account(self) -> str:
        """The vendor account its API key belongs to (see :meth:`FakeVendor.account_of`)."""
        return FakeVendor.account_of(self.api_key)

    def base_url(self, vendor: FakeVendor) -> str:
        return self.url or f"{vendor.url}/{self.mode}/{self.tag}"

    def document(self, vendor: FakeVendor) -> dict[str, Any]:
        """The configuration Accedo One sends with each of its calls (proto3 JSON)."""
        document = sample_tenant(**{PRESHARED_KEY: self.preshared_key, "api-key": self.api_key})
        document["bundleIdentifier"] = self.bundle
        values = document["values"]
        values["api-base-url"] = {"stringValue": self.base_url(vendor)}
        if not self.preshared_key:
            values.pop(PRESHARED_KEY, None)
        elif self.preshared_as_text:
            values[PRESHARED_KEY] = {"stringValue": self.preshared_key}
        return document

    def request(self, vendor: FakeVendor) -> Message:
        """A ``GetManifest`` request carrying this tenant's configuration."""
        return json_format.ParseDict({"configuration": self.document(vendor)}, MANIFEST_REQUEST())

    def expected(self, vendor: FakeVendor) -> list[str]:
        """What :func:`echo_tenant` answers this tenant, and no other."""
        return [
            f"bundle={self.bundle}",
            f"base={self.base_url(vendor)}",
            f"account={self.account}",
            f"tag={self.tag}",
        ]


def core_tenants(mode: str = "ok") -> list[Tenant]:
    """Eight tenants; some pairs differ in one value only, the hardest case for a cache.

    t1 differs from t0 only by its API key, t2 only by its base URL, t3 only by its
    bundle identifier; the others differ in everything.
    """
    first = Tenant("com.example.tenant-a", secret("rel-api-key-t0-81fe"), "shop-a", mode)
    tenants = [
        first,
        Tenant(first.bundle, secret("rel-api-key-t1-3b07"), first.tag, mode),
        Tenant(first.bundle, first.api_key, "shop-b", mode),
        Tenant("com.example.tenant-b", first.api_key, first.tag, mode),
    ]
    for index in range(4, 8):
        tenants.append(
            Tenant(
                f"tv.example{index}.accedo",
                secret(f"rel-api-key-t{index}-{index * 7919:05d}"),
                f"shop-{index}",
                mode,
            )
        )
    return tenants


# -- the test-only handler -----------------------------------------------------------------


@dataclass
class Recorder:
    """What the test-only handlers did, by request id."""

    started: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)  # streams whose generator was closed
    pages_sent: list[int] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)

    def note(self, bucket: list[Any], value: Any) -> None:
        bucket.append(value)
        self.event.set()

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait until ``condition()`` holds (the timeout bounds a stuck test, nothing more)."""
        await _until(self.event, condition, timeout)


async def _until(changed: asyncio.Event, condition: Callable[[], bool], timeout: float) -> None:
    """Wait until ``condition()`` holds, re-checking it each time ``changed`` is set."""

    async def loop() -> None:
        while not condition():
            changed.clear()
            await changed.wait()

    await asyncio.wait_for(loop(), timeout)


def _field_name(descriptor: Any, json_name: str) -> str:
    return str(next(f.name for f in descriptor.fields if f.json_name == json_name))


# GetManifestResponse.manifest.eventSubscriptions, whatever the bundle calls them in Python.
_MANIFEST = _field_name(MANIFEST.descriptor.output_type, "manifest")
_SUBSCRIPTIONS = _field_name(
    MANIFEST.descriptor.output_type.fields_by_name[_MANIFEST].message_type, "eventSubscriptions"
)


def manifest_response(values: Iterable[str]) -> Message:
    """A ``GetManifest`` response carrying ``values`` in its ``eventSubscriptions``."""
    response = MANIFEST_RESPONSE()
    getattr(getattr(response, _MANIFEST), _SUBSCRIPTIONS).extend(values)
    return response


def echoed(response: Message) -> list[str]:
    return list(getattr(getattr(response, _MANIFEST), _SUBSCRIPTIONS))


Behaviour = Callable[[ServiceHandler, Message, CallContext], Awaitable[Message]]


async def echo_tenant(handler: ServiceHandler, request: Message, context: CallContext) -> Message:
    """A filled handler: asks the vendor, answers with whose call it served.

    The answer holds the caller's bundle identifier and base URL (from its parsed
    configuration), the account the vendor found for its API key, and the tag the
    vendor saw in the URL path: four ways a mix-up of tenants would show.
    """
    body = await handler.vendor.request_json(context, "GET", "/account")
    tenant = context.tenant
    # Careless on purpose, as real handler code can be: a secret goes to the log, and
    # the redaction must catch it, with many tenants' calls interleaved.
    logger.debug(
        "vendor account %s answered key %s", body["account"], tenant.secret("api-key").reveal()
    )
    return manifest_response(
        [
            f"bundle={tenant.bundle_identifier}",
            f"base={tenant.string('api-base-url')}",
            f"account={body['account']}",
            f"tag={body['tag']}",
        ]
    )


async def stall(handler: ServiceHandler, request: Message, context: CallContext) -> Message:
    """A handler stuck on something that ignores the caller's deadline."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def manifest_handler_class(recorder: Recorder, behaviour: Behaviour) -> type[ServiceHandler]:
    """A filled ``GetManifest`` handler doing ``behaviour``, recording what happens to it."""

    class TestManifestHandler(ServiceHandler):
        service_name = MANIFEST.service

        async def GetManifest(self, request: Message, context: CallContext) -> Message:
            recorder.note(recorder.started, context.request_id)
            try:
                return await behaviour(self, request, context)
            except asyncio.CancelledError:
                recorder.note(recorder.cancelled, context.request_id)
                raise

    return TestManifestHandler


@contextlib.asynccontextmanager
async def serving(
    monkeypatch: pytest.MonkeyPatch,
    recorder: Recorder,
    behaviour: Behaviour = echo_tenant,
    *,
    settings: Settings | None = None,
    vendor_timeout: float = 10.0,
) -> AsyncIterator[Harness]:
    """The integration in-process, its ``GetManifest`` served by a test-only handler.

    The handler is registered in ``HANDLERS`` (the registry the server instantiates)
    for this test only. The project's real vendor client is used, with its real HTTP
    stack; tenants point it at the fake vendor.
    """
    monkeypatch.setitem(HANDLERS, MANIFEST.service, manifest_handler_class(recorder, behaviour))
    base = settings or Settings(insecure=True, preshared_key=SERVICE_KEY)
    async with Harness(base, VendorClient(timeout=vendor_timeout)) as harness:
        yield harness


def configuration_of(request: Message) -> Message:
    """The configuration message a request carries (found by its JSON name)."""
    field = next(f for f in request.DESCRIPTOR.fields if f.json_name == "configuration")
    configuration: Message = getattr(request, field.name)
    return configuration


ManifestStub: TypeAlias = "grpc.aio.UnaryUnaryMultiCallable[Message, Message]"


def manifest_stub(channel: grpc.aio.Channel) -> ManifestStub:
    return channel.unary_unary(
        MANIFEST.path,
        request_serializer=MANIFEST_REQUEST.SerializeToString,
        response_deserializer=MANIFEST_RESPONSE.FromString,
    )


# -- the fake vendor -------------------------------------------------------------------------

REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 503: "Service Unavailable"}


class FakeVendor:
    """A vendor HTTP API on ``127.0.0.1:<free port>``, behaving by the path's first segment.

    Paths are ``/<mode>/<tag>/<resource>``; the tenant's ``api-base-url`` carries the
    mode and tag, so each tenant's calls get the behaviour its test chose:

    * ``ok``: 200 ``{"account": ..., "tag": ...}`` (401 for an unknown API key);
    * ``slow``: never answers; waits until the client gives up (recorded in ``aborted``);
    * ``hold``: answers like ``ok`` once :attr:`release` is set;
    * ``fail``: 503; ``reset``: resets the TCP connection (RST) without answering;
    * ``crawl``: ``/pages/<n>`` answers ``{"page": n}``; ``crawlfail`` fails with 503 and
      ``crawlhang`` hangs like ``slow`` from page :attr:`FAULT_PAGE` on.
    """

    FAULT_PAGE = 3

    def __init__(self) -> None:
        self.port = 0
        self.release = asyncio.Event()
        self.received = 0  # requests read
        self.in_flight = 0  # requests read, neither answered nor abandoned yet
        self.open_connections = 0
        self.aborted: list[str] = []  # paths whose client left before the answer
        self.served: Counter[tuple[str, str]] = Counter()  # (account, tag) -> 200 answers
        self.pages: list[int] = []  # crawl pages requested
        self.tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self._changed = asyncio.Event()

    @staticmethod
    def account_of(api_key: str) -> str:
        return "acct-" + api_key.rsplit("-", 2)[-2]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeVendor:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait until ``condition()`` holds (the timeout bounds a stuck test, nothing more)."""
        await _until(self._changed, condition, timeout)

    def _note(self) -> None:
        self._changed.set()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        self.open_connections += 1
        self._note()
        try:
            while await self._request(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client closed the connection, or the vendor is shutting down
        finally:
            self.open_connections -= 1
            self.tasks.discard(task)
            writer.close()
            self._note()

    async def _request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; ``False`` when the connection must end."""
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        _method, target, _version = request_line.split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines if line)
        }
        length = int(headers.get("content-length", "0"))
        if length:
            await reader.readexactly(length)
        self.received += 1
        self.in_flight += 1
        self._note()
        try:
            return await self._respond(target.split("?", 1)[0], headers, reader, writer)
        finally:
            self.in_flight -= 1
            self._note()

    async def _respond(
        self,
        path: str,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        _, mode, tag, *rest = path.split("/")
        page = int(rest[1]) if rest[:1] == ["pages"] else None
        if page is not None:
            self.pages.append(page)
        faulty = page is None or page >= self.FAULT_PAGE
        if mode == "slow" or (mode == "crawlhang" and faulty):
            return await self._wait_for_client_to_leave(path, reader)
        if mode == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if mode == "fail" or (mode == "crawlfail" and faulty):
            await self._send(writer, 503, {"error": "down for maintenance"})
            return True
        if mode == "hold":
            await self.release.wait()
        if page is not None:
            await self._send(writer, 200, {"page": page})
            return True
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if not token:
            await self._send(writer, 401, {"error": "no API key"})
            return True
        account = self.account_of(token)
        self.served[(account, tag)] += 1
        await self._send(writer, 200, {"account": account, "tag": tag})
        return True

    async def _wait_for_client_to_leave(self, path: str, reader: asyncio.StreamReader) -> bool:
        # The client sends nothing more before it has an answer, so a read returns only
        # when it closes the connection: that is how a real server sees an abandoned request.
        with contextlib.suppress(ConnectionError):
            await reader.read(1)
        self.aborted.append(path)
        return False

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {REASONS[status]}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(data)}\r\n\r\n"
        )
        writer.write(head.encode() + data)
        await writer.drain()


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A local port where connecting is refused: bound (so no one else takes it), but
    not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        yield port


# -- leaks -----------------------------------------------------------------------------------


def open_fds() -> int:
    """Open file descriptors of this process, sockets included (``/dev/fd``: Linux, macOS)."""
    return len(os.listdir("/dev/fd"))


def live_tasks(*ignore: Iterable[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """The event loop's unfinished tasks, except the current one and ``ignore``."""
    skip = {asyncio.current_task(), *(task for group in ignore for task in group)}
    return {task for task in asyncio.all_tasks() if task not in skip}


async def settle(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; returns the last answer.

    For states that other threads (gRPC's core) reach on their own schedule; the
    timeout is a bound for a stuck test, not a performance requirement.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


# -- logs ------------------------------------------------------------------------------------


def records(text: str) -> list[dict[str, Any]]:
    """The captured JSON log lines (see the ``log_lines`` fixture)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def records_of(text: str, request_id: str) -> list[dict[str, Any]]:
    return [entry for entry in records(text) if entry.get("request_id") == request_id]


# -- the test-only streaming RPC -------------------------------------------------------------


def _copy_into(pool: descriptor_pool.DescriptorPool, file: FileDescriptor, done: set[str]) -> None:
    if file.name in done:
        return
    for dependency in file.dependencies:
        _copy_into(pool, dependency, done)
    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    pool.Add(proto)
    done.add(file.name)


def crawl_method() -> MethodDescriptor:
    """``reliability.CrawlService.Crawl``: a server-streaming RPC made for these tests.

    Its request carries the project's own configuration message as ``configuration``
    (field 1, like every Accedo One request), so the pipeline parses and checks it as
    usual. It lives in a private descriptor pool: nothing leaks into the project's.
    """
    configuration = next(
        f for f in MANIFEST.descriptor.input_type.fields if f.json_name == "configuration"
    ).message_type
    assert configuration is not None
    pool = descriptor_pool.DescriptorPool()
    _copy_into(pool, configuration.file, set())
    file = descriptor_pb2.FileDescriptorProto(
        name="reliability/crawl.proto",
        package="reliability",
        syntax="proto3",
        dependency=[configuration.file.name],
    )
    scalar = descriptor_pb2.FieldDescriptorProto
    request = file.message_type.add(name="CrawlRequest")
    request.field.add(
        name="configuration",
        number=1,
        label=scalar.LABEL_OPTIONAL,
        type=scalar.TYPE_MESSAGE,
        type_name="." + configuration.full_name,
        json_name="configuration",
    )
    request.field.add(name="pages", number=2, label=scalar.LABEL_OPTIONAL, type=scalar.TYPE_INT32)
    page = file.message_type.add(name="CrawlPage")
    page.field.add(name="page", number=1, label=scalar.LABEL_OPTIONAL, type=scalar.TYPE_INT32)
    page.field.add(name="tenant", number=2, label=scalar.LABEL_OPTIONAL, type=scalar.TYPE_STRING)
    service = file.service.add(name="CrawlService")
    service.method.add(
        name="Crawl",
        input_type=".reliability.CrawlRequest",
        output_type=".reliability.CrawlPage",
        server_streaming=True,
    )
    pool.Add(file)
    return pool.FindServiceByName("reliability.CrawlService").methods_by_name["Crawl"]


class CrawlService:
    """The streaming RPC served by a bare ``grpc.aio`` server through the real pipeline."""

    def __init__(
        self, handler: Callable[[CrawlService, Any, CallContext], AsyncIterator[Message]]
    ) -> None:
        self.method = crawl_method()
        self.request_class = message_factory.GetMessageClass(self.method.input_type)
        self.page_class = message_factory.GetMessageClass(self.method.output_type)
        self.vendor = VendorClient(timeout=10.0)
        self.port = 0
        pipeline = CallPipeline(TenantConfigParser(PARAMETERS))

        def bound(request: Any, context: CallContext) -> AsyncIterator[Message]:
            return handler(self, request, context)

        rpc = pipeline.method_handler(self.method, bound)
        self._server = grpc.aio.server()
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("reliability.CrawlService", {"Crawl": rpc}),)
        )
        self.channel: grpc.aio.Channel | None = None

    async def __aenter__(self) -> CrawlService:
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        await self._server.start()
        self.channel = grpc.aio.insecure_channel(f"127.0.0.1:{self.port}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.channel is not None:
            await self.channel.close()
        await self._server.stop(grace=1.0)
        await self.vendor.aclose()

    def page(self, number: int, tenant: str = "") -> Message:
        return json_format.ParseDict({"page": number, "tenant": tenant}, self.page_class())

    @staticmethod
    def number(page: Message) -> int:
        return int(json_format.MessageToDict(page).get("page", 0))

    def request(self, tenant: Tenant, vendor: FakeVendor, pages: int) -> Message:
        return json_format.ParseDict(
            {"configuration": tenant.document(vendor), "pages": pages}, self.request_class()
        )

    def crawl(
        self, request: Message, *, request_id: str = "", timeout: float = 30.0
    ) -> grpc.aio.UnaryStreamCall[Message, Message]:
        assert self.channel is not None
        stub = self.channel.unary_stream(
            "/reliability.CrawlService/Crawl",
            request_serializer=self.request_class.SerializeToString,
            response_deserializer=self.page_class.FromString,
        )
        metadata = (("x-request-id", request_id),) if request_id else ()
        return stub(request, timeout=timeout, metadata=metadata)
