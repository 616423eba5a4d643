"""Transport security: TLS by default, mutual TLS on request, plaintext only when asked.

Certificates are made per test session with ``trustme`` (see ``certs.py``).
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.message import Message

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.rpc_caller import (
    invoke,
    requests_of,
)
from {{ cookiecutter.package_name }}.settings import (
    Settings,
    SettingsError,
    validate,
)
from {{ cookiecutter.package_name }}.testing import (
    Harness,
    sample_tenant,
)

from .certs import Pki, make_pki
from .service_process import ServiceProcess, free_port, serving

RPC = "IntegrationService.GetManifest"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def tls(pki: Pki) -> AsyncIterator[Harness]:
    """The integration serving TLS only."""
    settings = Settings(tls_cert=str(pki.server_cert), tls_key=str(pki.server_key))
    async with Harness(settings) as running:
        yield running


@pytest.fixture
async def mtls(pki: Pki) -> AsyncIterator[Harness]:
    """The integration requiring a client certificate signed by the test CA."""
    settings = Settings(
        tls_cert=str(pki.server_cert),
        tls_key=str(pki.server_key),
        tls_client_ca=str(pki.ca_cert),
    )
    async with Harness(settings) as running:
        yield running


async def call(address: str, credentials: grpc.ChannelCredentials | None) -> Message:
    """GetManifest over a fresh channel: TLS with ``credentials``, plaintext without."""
    rpc = contracts.find_rpc(RPC)
    channel = (
        grpc.aio.insecure_channel(address)
        if credentials is None
        else grpc.aio.secure_channel(address, credentials)
    )
    async with channel:
        [response] = await invoke(channel, rpc, requests_of(rpc, {}, sample_tenant()), timeout=10)
        return response


def localhost(harness: Harness) -> str:
    return f"localhost:{harness.server.port}"


async def test_tls_serves_a_client_that_trusts_the_ca(tls: Harness, pki: Pki) -> None:
    response = await call(localhost(tls), pki.channel_credentials())
    assert response.ByteSize() > 0


async def test_tls_refuses_a_plaintext_client(tls: Harness) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(localhost(tls), None)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_tls_is_refused_by_a_client_that_does_not_trust_the_server(
    tls: Harness, pki: Pki
) -> None:
    # The client trusts an unrelated CA only: the server's certificate does not verify.
    credentials = grpc.ssl_channel_credentials(pki.stranger_ca_cert.read_bytes())
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(localhost(tls), credentials)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_mutual_tls_serves_a_client_with_a_certificate_from_the_ca(
    mtls: Harness, pki: Pki
) -> None:
    response = await call(localhost(mtls), pki.channel_credentials(client=True))
    assert response.ByteSize() > 0


async def test_mutual_tls_refuses_a_client_without_a_certificate(mtls: Harness, pki: Pki) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(localhost(mtls), pki.channel_credentials())
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_mutual_tls_refuses_a_certificate_from_another_ca(mtls: Harness, pki: Pki) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(localhost(mtls), pki.channel_credentials(stranger=True))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_plaintext_only_when_asked_and_with_a_warning(log_lines: io.StringIO) -> None:
    with pytest.raises(SettingsError, match="--insecure"):
        validate(Settings())  # the default is TLS, which needs a certificate
    async with Harness(Settings(insecure=True)) as harness:
        response = await call(harness.address, None)
        assert response.ByteSize() > 0
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    warnings = [line["msg"] for line in lines if line["level"] == "warning"]
    assert any("PLAINTEXT" in text for text in warnings)


def test_tls_settings_must_name_existing_files(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="--tls-key"):
        validate(Settings(tls_cert=str(pki.server_cert), tls_key=str(tmp_path / "missing.key")))
    with pytest.raises(SettingsError, match="--insecure"):
        validate(Settings(insecure=True, tls_client_ca=str(pki.ca_cert)))


async def test_serve_with_tls_flags_then_call_over_tls(pki: Pki) -> None:
    """The README's walkthrough: a real `serve --tls-cert --tls-key` process, called over TLS.

    (`call --tls-ca` itself is tested in test_cli.py.)
    """
    port = free_port()
    tls_files = ["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)]
    arguments = ["serve", "--host", "127.0.0.1", "--port", str(port), *tls_files]
    async with ServiceProcess(*arguments) as service:
        [started] = await service.wait_for_log(serving)
        assert "(TLS)" in started["msg"]
        response = await call(f"localhost:{port}", pki.channel_credentials())
        assert response.ByteSize() > 0
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(f"localhost:{port}", None)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
