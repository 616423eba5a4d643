"""Command line: ``serve``, ``call``, ``todo``, ``regen``.

``python -m {{ cookiecutter.package_name }} <command> --help`` explains each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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

    call = commands.add_parser("call", help="call an RPC of a running integration, like Accedo One")
    call.add_argument("rpc", help="Service.Method, e.g. IntegrationService.GetManifest")
    call.add_argument("--address", default="localhost:50051", help="HOST:PORT of the integration")
    call.add_argument("--insecure", action="store_true", help="plaintext instead of TLS")
    call.add_argument("--tls-ca", help="PEM CA bundle that signed the server certificate")
    call.add_argument("--tls-cert", help="client certificate (mutual TLS)")
    call.add_argument("--tls-key", help="client private key (mutual TLS)")
    call.add_argument("--tenant", default="tenant.json", help="tenant configuration JSON file")
    call.add_argument(
        "--data", "-d", help="request as JSON, @FILE, or - for stdin (default: the RPC's sample)"
    )
    call.add_argument("--event", help="OnEvent only: use the sample of this event key")
    call.add_argument("--timeout", type=float, default=30.0, help="deadline in seconds")
    call.add_argument("--metadata", "-H", action="append", default=[], help="KEY=VALUE metadata")

    commands.add_parser("todo", help="list the RPCs and events still to implement")

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
    if data is None:
        return default
    if data == "-":
        return json.loads(sys.stdin.read())
    if data.startswith("@"):
        return json.loads(Path(data[1:]).read_text(encoding="utf-8"))
    return json.loads(data)


def call(arguments: argparse.Namespace) -> int:
    """Prepare the request(s) and the channel credentials, then send."""
    import grpc

    from . import contracts
    from .rpc_caller import load_sample, requests_of

    try:
        rpc = contracts.find_rpc(arguments.rpc)
        tenant_path = Path(arguments.tenant)
        tenant = None
        if tenant_path.is_file():
            tenant = json.loads(tenant_path.read_text(encoding="utf-8"))
        else:
            print(
                f"warning: {tenant_path} not found; calling without a configuration",
                file=sys.stderr,
            )
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
    return asyncio.run(send(arguments, rpc, requests, credentials, pairs))


async def send(
    arguments: argparse.Namespace,
    rpc: Any,
    requests: list[Any],
    credentials: Any,
    metadata: list[tuple[str, str]],
) -> int:
    import grpc

    from .rpc_caller import invoke, to_json

    if credentials is None:
        channel = grpc.aio.insecure_channel(arguments.address)
    else:
        channel = grpc.aio.secure_channel(arguments.address, credentials)
    async with channel:
        try:
            responses = await invoke(
                channel, rpc, requests, timeout=arguments.timeout, metadata=metadata
            )
        except grpc.aio.AioRpcError as error:
            print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    streaming = rpc.descriptor.server_streaming
    for response in responses:
        print(to_json(response, indent=None if streaming else 2))
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
