"""Prometheus metrics: calls, errors by status, and latency per method.

Exposed on a separate port when ``--metrics-port`` is set; with ``--workers N`` each
worker serves its own metrics on ``metrics_port + worker index``.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

CALLS = Counter(
    "integration_rpc_calls", "RPCs handled, by method and status code.", ["method", "code"]
)
LATENCY = Histogram(
    "integration_rpc_duration_seconds",
    "Time to answer an RPC (streams: until the last message), by method.",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def observe(method: str, code: str, seconds: float) -> None:
    CALLS.labels(method, code).inc()
    LATENCY.labels(method).observe(seconds)


def serve(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - scraped from the pod network
    """Start the metrics endpoint in a background thread."""
    start_http_server(port, addr=host)
