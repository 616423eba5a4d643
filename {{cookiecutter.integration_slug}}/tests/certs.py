"""Certificates for the TLS tests, made at test time with ``trustme`` (never committed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc
import trustme


@dataclass(frozen=True)
class Pki:
    """A CA, a server certificate for localhost, and two client certificates."""

    directory: Path
    ca: trustme.CA
    server_cert: Path
    server_key: Path
    ca_cert: Path  # signed the server and the good client
    client_cert: Path  # signed by ca_cert
    client_key: Path
    stranger_ca_cert: Path  # an unrelated CA
    stranger_cert: Path  # a client certificate it signed
    stranger_key: Path

    def channel_credentials(
        self, *, client: bool = False, stranger: bool = False
    ) -> grpc.ChannelCredentials:
        """Credentials that trust the server; optionally presenting a client certificate."""
        root = self.ca_cert.read_bytes()
        if stranger:
            key, chain = self.stranger_key.read_bytes(), self.stranger_cert.read_bytes()
            return grpc.ssl_channel_credentials(root, key, chain)
        if client:
            key, chain = self.client_key.read_bytes(), self.client_cert.read_bytes()
            return grpc.ssl_channel_credentials(root, key, chain)
        return grpc.ssl_channel_credentials(root)


def make_pki(directory: Path) -> Pki:
    """Write a fresh CA, server and client certificates (PEM) into ``directory``."""
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("accedo-one.client.test")
    stranger_ca = trustme.CA()
    stranger = stranger_ca.issue_cert("stranger.client.test")
    files = {
        "server_cert": (server.cert_chain_pems, "server.pem"),
        "server_key": ([server.private_key_pem], "server.key"),
        "ca_cert": ([ca.cert_pem], "ca.pem"),
        "client_cert": (client.cert_chain_pems, "client.pem"),
        "client_key": ([client.private_key_pem], "client.key"),
        "stranger_ca_cert": ([stranger_ca.cert_pem], "stranger-ca.pem"),
        "stranger_cert": (stranger.cert_chain_pems, "stranger.pem"),
        "stranger_key": ([stranger.private_key_pem], "stranger.key"),
    }
    paths: dict[str, Path] = {}
    for field, (blobs, name) in files.items():
        path = directory / name
        path.write_bytes(b"".join(blob.bytes() for blob in blobs))
        paths[field] = path
    return Pki(directory=directory, ca=ca, **paths)
