"""The one interceptor every RPC of the integration runs through.

It is applied when a method is registered rather than as a
``grpc.aio.ServerInterceptor``, because an aio interceptor never sees the request
message, and the tenant configuration lives in it. For each call it:

1. reads the request id (``x-request-id`` metadata, else a new one) and returns it
   in the trailing metadata of the answer;
2. parses the tenant configuration (``INVALID_ARGUMENT`` naming the key at fault;
   so is a request whose bytes are not a valid message);
3. checks the shared secret, when the service has one (``UNAUTHENTICATED``);
4. runs the handler, mapping exceptions to status codes (see :mod:`.errors`);
   anything unexpected is ``INTERNAL`` with only the request id, the traceback is logged;
5. logs one line (method, status, duration, request id, tenant) and records metrics.
Secrets of the tenant are redacted from every log line written during the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import DecodeError, Message

from . import metrics
from .call_context import CallContext
from .errors import AuthenticationError, ConfigurationError, IntegrationError, InvalidRequestError
from .parameters import PRESHARED_KEY
from .structured_logging import redact, reset_call_secrets, set_call_secrets
from .tenant_config import Secret, TenantConfig, TenantConfigParser

logger = logging.getLogger(__name__)
REQUEST_ID_HEADER = "x-request-id"
MAX_REQUEST_ID = 128
# When its deadline passes, the caller resets the call, and that reaches us a little
# before our copy of the deadline (which started when the request arrived) runs out:
# a call ended this close to its deadline is logged as DEADLINE_EXCEEDED.
EXPIRY_SLACK_SECONDS = 0.5
_NO_TENANT = TenantConfig("", {})

Handler = Callable[[Any, CallContext], Any]


class AbortCall(Exception):
    """Raised inside the pipeline to end a call with a status already chosen."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _configuration_field(descriptor: Any) -> str | None:
    for field in descriptor.fields:
        if field.json_name == "configuration":
            return str(field.name)
    return None


def _presented_key(configuration: Message) -> str | None:
    """The shared key in a configuration that failed validation (auth is checked first)."""
    try:
        value = configuration.values[PRESHARED_KEY]  # type: ignore[attr-defined]
        return str(value.secure_string.decrypted)
    except (AttributeError, KeyError):
        return None


class Undecodable:
    """Stands in for a request whose bytes are not a valid message of its type.

    gRPC would answer such a request ``UNKNOWN``, with the parser's error text; the
    pipeline answers ``INVALID_ARGUMENT`` instead, like any other malformed request.
    """

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name


def _tolerant_deserializer(request_class: type[Message]) -> Callable[[bytes], Any]:
    def deserialize(data: bytes) -> Message | Undecodable:
        try:
            return request_class.FromString(data)
        except DecodeError:
            return Undecodable(request_class.DESCRIPTOR.full_name)

    return deserialize


def _check_decoded(request: object) -> Message:
    if isinstance(request, Undecodable):
        raise InvalidRequestError(f"the request is not a valid {request.type_name} message")
    return request  # type: ignore[return-value]


class CallPipeline:
    """Builds the gRPC method handlers of a service, each wrapped in the steps above."""

    def __init__(self, parser: TenantConfigParser, preshared_key: str | None = None) -> None:
        self.parser = parser
        self.preshared_key = Secret(preshared_key) if preshared_key else None
        self.in_flight = 0  # calls started and not yet answered (logged on shutdown)
        self._idle: asyncio.Future[None] | None = None  # see wait_until_idle()

    # -- building handlers -------------------------------------------------------------

    def method_handler(
        self, method: MethodDescriptor, handler: Handler
    ) -> grpc.RpcMethodHandler[Any, Any]:
        """The gRPC handler of ``method``: the pipeline around the bound ``handler``."""
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        name = f"/{method.containing_service.full_name}/{method.name}"
        config_field = _configuration_field(method.input_type)
        codec: dict[str, Any] = {
            "request_deserializer": _tolerant_deserializer(request_class),
            "response_serializer": response_class.SerializeToString,
        }

        def begin(context: grpc.aio.ServicerContext[Any, Any]) -> _Call:
            return _Call(self, name, config_field, response_class, context)

        if not method.client_streaming and not method.server_streaming:

            async def unary_unary(
                request: Message, context: grpc.aio.ServicerContext[Any, Any]
            ) -> Any:
                call = begin(context)
                try:
                    call.start(request)
                    response = await handler(request, call.context)
                    call.check_response(response)
                except Exception as error:
                    await call.fail(error)
                except BaseException as error:
                    call.end_early(error)
                    raise
                call.finish()
                return response

            return grpc.unary_unary_rpc_method_handler(unary_unary, **codec)

        if not method.client_streaming:

            async def unary_stream(
                request: Message, context: grpc.aio.ServicerContext[Any, Any]
            ) -> Any:
                call = begin(context)
                try:
                    call.start(request)
                    async with _closing(handler(request, call.context)) as responses:
                        async for response in responses:
                            call.check_response(response)
                            yield response
                except Exception as error:
                    await call.fail(error)
                except BaseException as error:
                    call.end_early(error)
                    raise
                call.finish()

            return grpc.unary_stream_rpc_method_handler(unary_stream, **codec)

        if not method.server_streaming:

            async def stream_unary(
                requests: AsyncIterator[Message], context: grpc.aio.ServicerContext[Any, Any]
            ) -> Any:
                call = begin(context)
                try:
                    response = await handler(await call.start_stream(requests), call.context)
                    call.check_response(response)
                except Exception as error:
                    await call.fail(error)
                except BaseException as error:
                    call.end_early(error)
                    raise
                call.finish()
                return response

            return grpc.stream_unary_rpc_method_handler(stream_unary, **codec)

        async def stream_stream(
            requests: AsyncIterator[Message], context: grpc.aio.ServicerContext[Any, Any]
        ) -> Any:
            call = begin(context)
            try:
                stream = await call.start_stream(requests)
                async with _closing(handler(stream, call.context)) as responses:
                    async for response in responses:
                        call.check_response(response)
                        yield response
            except Exception as error:
                await call.fail(error)
            except BaseException as error:
                call.end_early(error)
                raise
            call.finish()

        return grpc.stream_stream_rpc_method_handler(stream_stream, **codec)

    async def wait_until_idle(self) -> None:
        """Return once no call the pipeline started is still running (e.g. on shutdown)."""
        while self.in_flight:
            self._idle = asyncio.get_running_loop().create_future()
            try:
                await self._idle
            finally:
                self._idle = None

    def call_ended(self) -> None:
        """Each call, as it ends: count it out, and wake ``wait_until_idle()`` at zero."""
        self.in_flight -= 1
        if not self.in_flight and self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

    # -- the steps ---------------------------------------------------------------------

    def tenant_for(self, request: Message, config_field: str | None) -> TenantConfig:
        """Parse the request's configuration and check the shared secret."""
        if config_field is None:
            if self.preshared_key is not None:
                raise AuthenticationError(
                    "this request carries no configuration, so no preshared-key"
                )
            return _NO_TENANT
        configuration = getattr(request, config_field)
        try:
            tenant = self.parser.parse(configuration)
        except ConfigurationError:
            self._authenticate(_presented_key(configuration))
            raise
        presented = tenant.get(PRESHARED_KEY)
        self._authenticate(presented.reveal() if isinstance(presented, Secret) else None)
        return tenant

    def _authenticate(self, presented: str | None) -> None:
        if self.preshared_key is None:
            return
        if presented is None:
            raise AuthenticationError(f"configuration value {PRESHARED_KEY!r} is missing")
        if not self.preshared_key.matches(presented):
            raise AuthenticationError(f"configuration value {PRESHARED_KEY!r} does not match")


@contextlib.asynccontextmanager
async def _closing(result: Any) -> AsyncIterator[AsyncIterator[Any]]:
    """The handler's response stream, closed when the call ends however it ends.

    Closing matters: when the caller goes away mid-stream, the handler's generator
    (and the vendor crawl inside it) must stop too. Handlers may be ``async def``
    generators or plain methods that return an async iterator.
    """
    if isinstance(result, Awaitable) and not isinstance(result, AsyncIterator):
        result = await result
    try:
        yield result
    finally:
        close = getattr(result, "aclose", None)
        if close is not None:
            await close()


class _Call:
    """The state of one call as it goes through the pipeline."""

    __slots__ = (
        "config_field",
        "context",
        "method",
        "pipeline",
        "response_class",
        "secrets_token",
        "started",
    )

    def __init__(
        self,
        pipeline: CallPipeline,
        method: str,
        config_field: str | None,
        response_class: type[Message],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> None:
        self.pipeline = pipeline
        self.method = method
        self.config_field = config_field
        self.response_class = response_class
        self.started = time.perf_counter()
        self.secrets_token: Any = None
        self.context = CallContext(method, _request_id(context), context)
        # The request id goes back in the trailers of every answer, errors included, so
        # the caller can quote it and the operator find the call's log line.
        context.set_trailing_metadata(((REQUEST_ID_HEADER, self.context.request_id),))
        pipeline.in_flight += 1
        metrics.in_flight += 1

    def start(self, request: Message) -> None:
        tenant = self.pipeline.tenant_for(_check_decoded(request), self.config_field)
        self.context.tenant = tenant
        secrets = tenant.secret_values()
        if secrets:
            self.secrets_token = set_call_secrets(secrets)

    async def start_stream(self, requests: AsyncIterator[Message]) -> AsyncIterator[Message]:
        """Check the configuration of the first request; hand on the whole stream."""
        try:
            first = await requests.__anext__()
        except StopAsyncIteration:
            raise InvalidRequestError("the request stream ended before its first message") from None
        self.start(first)

        async def chained() -> AsyncIterator[Message]:
            yield first
            async for request in requests:
                yield _check_decoded(request)

        return chained()

    def check_response(self, response: object) -> None:
        if type(response) is not self.response_class:
            expected = self.response_class.__name__
            raise TypeError(
                f"{self.method} returned {type(response).__name__}, expected {expected}"
            )

    def finish(self) -> None:
        self._record(grpc.StatusCode.OK, logging.INFO)

    def end_early(self, error: BaseException) -> None:
        """The caller cancelled, its deadline passed, or it left a stream: log it once."""
        code = early_end_status(self.context.time_remaining())
        self._record(code, logging.INFO, f"call ended by the caller ({type(error).__name__})")

    async def fail(self, error: Exception) -> None:
        """Log, count and turn ``error`` into the call's status; never returns normally."""
        if _is_abort(error):  # the handler called context.abort() itself
            code: grpc.StatusCode | None = self.context.grpc.code()
            self._record(code or grpc.StatusCode.UNKNOWN, logging.INFO)
            raise error
        if isinstance(error, NotImplementedError):
            code, message = grpc.StatusCode.UNIMPLEMENTED, f"{self.method} is not implemented yet"
            self._record(code, logging.INFO)
        elif isinstance(error, IntegrationError):
            code, message = error.status, redact(str(error))
            self._record(
                code, logging.INFO if code != grpc.StatusCode.INTERNAL else logging.ERROR, message
            )
        elif isinstance(error, TimeoutError):
            code, message = grpc.StatusCode.DEADLINE_EXCEEDED, "timed out waiting for the vendor"
            self._record(code, logging.WARNING, message)
        else:
            code = grpc.StatusCode.INTERNAL
            message = f"internal error (request id {self.context.request_id})"
            self._record(code, logging.ERROR, "unhandled exception in handler", exc_info=error)
        await self.context.grpc.abort(code, message)

    def _record(
        self,
        code: grpc.StatusCode,
        level: int,
        message: str = "rpc",
        exc_info: BaseException | None = None,
    ) -> None:
        duration = time.perf_counter() - self.started
        self.pipeline.call_ended()
        metrics.in_flight -= 1
        metrics.observe(self.method, code.name, duration)
        if logger.isEnabledFor(level):
            logger.log(
                level,
                message,
                exc_info=exc_info,
                extra={
                    "method": self.method,
                    "status": code.name,
                    "duration_ms": round(duration * 1000, 3),
                    "request_id": self.context.request_id,
                    "tenant": self.context.tenant.bundle_identifier,
                },
            )
        if self.secrets_token is not None:
            reset_call_secrets(self.secrets_token)
            self.secrets_token = None


def early_end_status(remaining: float | None) -> grpc.StatusCode:
    """The status logged for a call its caller ended, from the seconds it had left."""
    if remaining is not None and remaining <= EXPIRY_SLACK_SECONDS:
        return grpc.StatusCode.DEADLINE_EXCEEDED
    return grpc.StatusCode.CANCELLED


def _is_abort(error: BaseException) -> bool:
    return type(error).__name__ == "AbortError" and type(error).__module__.startswith("grpc")


# Request ids this process makes: a random prefix, then a counter (32 hex digits in
# all). Unique across processes and restarts like a UUID, but with no system call
# and no UUID object per call.
_ID_PREFIX = os.urandom(8).hex()
_id_counter = itertools.count(1)


def _request_id(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str) and value:
            return value[:MAX_REQUEST_ID]
    return f"{_ID_PREFIX}{next(_id_counter):016x}"
