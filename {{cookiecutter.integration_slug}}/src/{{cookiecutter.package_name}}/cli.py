"""Command line: ``serve``, ``call``, ``todo``, ``regen``.

``python -m <package> <command> --help`` explains each (``<package>``: this one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import settings as settings_module


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }}",
        description="Accedo One {{ cookiecutter.integration_type }} integration.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gRPC service")
    settings_module.add_arguments(serve)
    serve.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)

    call = commands.add_parser(
        "call",
        help="call an RPC of a running integration, like Accedo One",
        description="Send one RPC to a running integration, with the tenant configuration"
        " from tenant.json, and print the response as JSON (a stream: one JSON document per"
        " line, as each message arrives).",
        epilog="Exit status: 0 success; 1 the call failed (its status is printed on stderr);"
        " 2 bad arguments or input.",
    )
    call.add_argument("rpc", help="Service.Method, e.g. IntegrationService.GetManifest")
    call.add_argument("--address", default="localhost:50051", help="HOST:PORT of the integration")
    call.add_argument("--insecure", action="store_true", help="plaintext instead of TLS")
    call.add_argument("--tls-ca", help="PEM CA bundle that signed the server certificate")
    call.add_argument("--tls-cert", help="client certificate (mutual TLS)")
    call.add_argument("--tls-key", help="client private key (mutual TLS)")
    call.add_argument(
        "--tenant",
        help="tenant configuration JSON file (default: ./tenant.json, else the project's)",
    )
    call.add_argument(
        "--no-tenant", action="store_true", help="send the request without a configuration"
    )
    call.add_argument(
        "--data", "-d", help="request as JSON, @FILE, or - for stdin (default: the RPC's sample)"
    )
    call.add_argument("--event", help="OnEvent only: use the sample of this event key")
    call.add_argument(
        "--timeout", type=float, default=30.0, help="deadline in seconds (0: none), default 30"
    )
    call.add_argument("--metadata", "-H", action="append", default=[], help="KEY=VALUE metadata")

    commands.add_parser("todo", help="list the RPCs and events still to implement")

    health = commands.add_parser(
        "healthcheck", help="exit 0 if the local service answers SERVING (container health check)"
    )
    health.add_argument(
        "--address", help="HOST:PORT (default: 127.0.0.1:$INTEGRATION_HEALTH_PORT, plaintext)"
    )

    regen = commands.add_parser(
        "regen", help="regenerate code from proto/ (adds stubs, keeps yours)"
    )
    from .codegen.__main__ import add_regen_arguments

    add_regen_arguments(regen)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    arguments = build_parser().parse_args(argv)
    if arguments.command == "serve":
        return serve(arguments, argv)
    if arguments.command == "call":
        return call(arguments)
    if arguments.command == "todo":
        return todo()
    if arguments.command == "healthcheck":
        from .server import check_health

        return check_health(arguments.address)
    from .codegen.__main__ import run

    return run(arguments)


def serve(arguments: argparse.Namespace, argv: list[str]) -> int:
    from . import structured_logging

    try:
        settings = settings_module.from_sources(arguments)
    except settings_module.SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    structured_logging.configure(settings.log_level, settings.log_format)
    if settings.workers > 1 and arguments.worker_index is None:
        from .workers import supervise

        return supervise(settings, argv)
    from .server import serve as run_server

    if arguments.worker_index and settings.metrics_port:
        from dataclasses import replace

        settings = replace(settings, metrics_port=settings.metrics_port + arguments.worker_index)
    return asyncio.run(run_server(settings))


def read_document(data: str | None, default: Any) -> Any:
    """``--data``: inline JSON, ``@FILE`` or ``-`` (stdin); ``default`` when absent."""
    if data is None:
        return default
    if data == "-":
        text, where = sys.stdin.read(), "stdin"
    elif data.startswith("@"):
        text, where = Path(data[1:]).read_text(encoding="utf-8"), data[1:]
    else:
        text, where = data, "--data"
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{where}: not valid JSON ({error.msg}, line {error.lineno} column {error.colno})"
        ) from None


def find_tenant(option: str | None) -> Path | None:
    """``--tenant``, else ``tenant.json`` here, else the project's ``tenant.json``."""
    if option:
        path = Path(option)
        if not path.is_file():
            raise FileNotFoundError(f"--tenant {option}: no such file")
        return path
    from .codegen.layout import Layout
    from .codegen.tenant_writer import LOCAL

    for path in (Path(LOCAL), Layout.of_this_project().root / LOCAL):
        if path.is_file():
            return path
    return None


def read_tenant(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        # The message names the place, never the content (the file holds secrets).
        raise ValueError(
            f"{path}: not valid JSON ({error.msg}, line {error.lineno} column {error.colno})"
        ) from None


def call(arguments: argparse.Namespace) -> int:
    """Prepare the request(s) and the channel credentials, then send."""
    # gRPC's C core logs TLS handshake details at info level: keep the output clean.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    import grpc

    from . import contracts
    from .rpc_caller import load_sample, requests_of

    try:
        rpc = contracts.find_rpc(arguments.rpc)
        tenant = None
        if not arguments.no_tenant:
            tenant_path = find_tenant(arguments.tenant)
            if tenant_path is None:
                print(
                    "warning: no tenant.json (copy tenant.example.json); calling without a"
                    " configuration",
                    file=sys.stderr,
                )
            else:
                tenant = read_tenant(tenant_path)
        document = read_document(arguments.data, None)
        if document is None:
            document = load_sample(rpc, arguments.event)
        requests = requests_of(rpc, document, tenant)
        metadata = [tuple(item.split("=", 1)) for item in arguments.metadata]
        if any(len(item) != 2 for item in metadata):
            raise ValueError("--metadata takes KEY=VALUE")
        credentials = None
        if not arguments.insecure:

            def read(path: str | None) -> bytes | None:
                return Path(path).read_bytes() if path else None

            credentials = grpc.ssl_channel_credentials(
                read(arguments.tls_ca), read(arguments.tls_key), read(arguments.tls_cert)
            )
    except (LookupError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    pairs = [(str(item[0]), str(item[1])) for item in metadata]
    return asyncio.run(
        send(
            arguments.address,
            rpc,
            requests,
            credentials=credentials,
            timeout=arguments.timeout or None,
            metadata=pairs,
        )
    )


async def send(
    address: str,
    rpc: Any,
    requests: Sequence[Any],
    *,
    credentials: Any = None,
    timeout: float | None = None,
    metadata: Sequence[tuple[str, str]] = (),
    out: TextIO | None = None,
) -> int:
    """Send and print each response as it arrives; the status on error (exit 1).

    A unary response prints as indented JSON; a stream prints one JSON document per
    line per message, flushed at once, so a long ``Sync`` shows its progress.
    """
    import grpc

    from .rpc_caller import stream, to_json

    out = out or sys.stdout
    streaming = rpc.descriptor.server_streaming
    if credentials is None:
        channel = grpc.aio.insecure_channel(address)
    else:
        channel = grpc.aio.secure_channel(address, credentials)
    received = 0
    async with channel:
        try:
            async for response in stream(
                channel, rpc, requests, timeout=timeout, metadata=metadata
            ):
                print(to_json(response, indent=None if streaming else 2), file=out, flush=True)
                received += 1
        except grpc.aio.AioRpcError as error:
            print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
            if streaming:
                print(f"the stream failed after {received} message(s)", file=sys.stderr)
            if error.code() == grpc.StatusCode.UNAVAILABLE:
                mode = "plaintext (--insecure)" if credentials is None else "TLS"
                print(
                    f"hint: is the integration running at {address}, serving {mode}?",
                    file=sys.stderr,
                )
            return 1
    if streaming:
        print(f"the stream completed with {received} message(s)", file=sys.stderr)
    return 0


def todo() -> int:
    from .stub_status import unfilled

    left = unfilled()
    for label in left:
        print(label)
    print(
        f"{len(left)} left to implement" if left else "nothing left to implement", file=sys.stderr
    )
    return 0
