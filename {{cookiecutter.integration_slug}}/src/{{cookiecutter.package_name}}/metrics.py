"""Prometheus metrics: calls, errors by status, latency and calls in flight, per method.

Exposed on a separate port when ``--metrics-port`` is set (``GET /metrics``); with
``--workers N`` each worker serves its own metrics on ``metrics_port + worker index``.

* ``integration_rpc_calls_total{method, code}``: every answered call, by status code;
  the errors are the series whose ``code`` is not ``OK``, e.g.
  ``sum by (code) (rate(integration_rpc_calls_total{code!="OK"}[5m]))``;
* ``integration_rpc_duration_seconds{method}``: latency histogram (streams: until
  the last message);
* ``integration_rpc_in_flight``: calls being served right now.
"""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, Gauge, Histogram, start_http_server

CALLS = Counter(
    "integration_rpc_calls", "RPCs answered, by method and status code.", ["method", "code"]
)
LATENCY = Histogram(
    "integration_rpc_duration_seconds",
    "Time to answer an RPC (streams: until the last message), by method.",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
IN_FLIGHT = Gauge("integration_rpc_in_flight", "RPCs being served right now.")
# Counted by the call pipeline as a plain int and read only when Prometheus scrapes:
# a Gauge's inc()/dec() take a lock on every call.
in_flight = 0
IN_FLIGHT.set_function(lambda: in_flight)


# The labelled series of each (method, code), looked up once: ``labels()`` costs more
# than the increment itself. Bounded: methods and status codes are both finite.
_SERIES: dict[tuple[str, str], tuple[Counter, Histogram]] = {}


def observe(method: str, code: str, seconds: float) -> None:
    series = _SERIES.get((method, code))
    if series is None:
        series = _SERIES[(method, code)] = (CALLS.labels(method, code), LATENCY.labels(method))
    series[0].inc()
    series[1].observe(seconds)


def serve(port: int, host: str = "0.0.0.0") -> WSGIServer:  # noqa: S104 - scraped from the pod network
    """Start the metrics endpoint in a background thread; ``shutdown()`` stops it."""
    server, _thread = start_http_server(port, addr=host)
    return server
