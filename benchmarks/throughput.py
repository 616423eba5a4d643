"""Throughput and latency of the generated server against a bare ``grpc.aio`` server.

Both sides answer ``IntegrationService.GetManifest`` with the same message, built
from the same generated modules, each in its own process:

* generated: a baked project's ``serve --insecure`` (the whole call pipeline: request
  id, tenant configuration parsing and validation, the shared-secret check, error
  mapping, metrics; logging ON at info level, JSON, to a file; health and reflection
  registered), started with ``INTEGRATION_PRESHARED_KEY`` so the secret is checked;
* bare: ``benchmarks/bare_server.py``, protoc's servicer returning the same response.

The request carries a realistic tenant configuration (every declared parameter, the
secrets with decrypted and encrypted forms, as Accedo One sends them). The same load
generator hits both servers with the same concurrency, in rounds that alternate the
sides; the table gives the medians over rounds and the ratios generated / bare.

Load generator: ``h2load`` (Debian ``nghttp2-client``; C, so it leaves the CPU to the
server) when installed, else ``benchmarks/load_client.py`` (Python ``grpc.aio``, its own
process). ``--client`` chooses.

    python benchmarks/throughput.py [--rounds 6] [--duration 5] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _common as common

METHOD = "/integration.IntegrationService/GetManifest"
SIDES = ("generated", "bare")
ALSO = "also"
SATURATED = 90  # % of one core: below it, the server was not what limited the rate
# -- load generators -------------------------------------------------------------------


def run_h2load(
    h2load: str, port: int, body: Path, arguments: argparse.Namespace, log: Path
) -> dict[str, Any]:
    command = [
        h2load,
        "--duration",
        f"{arguments.duration:g}",
        "--warm-up-time",
        f"{arguments.warmup:g}",
        "--clients",
        str(arguments.connections),
        "--max-concurrent-streams",
        str(max(1, arguments.concurrency // arguments.connections)),
        "--threads",
        "1",
        "--header",
        "content-type: application/grpc",
        "--header",
        "te: trailers",
        "--data",
        str(body),
        "--log-file",
        str(log),
        f"http://127.0.0.1:{port}{METHOD}",
    ]
    log.unlink(missing_ok=True)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"error: h2load failed:\n{result.stdout}{result.stderr}")
    done = re.search(r"(\d+) succeeded, (\d+) failed, (\d+) errored", result.stdout)
    if done is None or int(done.group(2)) or int(done.group(3)):
        sys.exit(f"error: h2load saw failures:\n{result.stdout}")
    latencies = sorted(
        int(line.split("\t")[2]) / 1000
        for line in log.read_text().splitlines()
        if line.count("\t") == 2 and line.split("\t")[1] == "200"
    )
    return {"calls": len(latencies), "seconds": arguments.duration, "latencies_ms": latencies}


def run_python_client(port: int, body: Path, arguments: argparse.Namespace) -> dict[str, Any]:
    command = [
        common.PYTHON,
        str(common.BENCH_DIR / "load_client.py"),
        "--target",
        f"127.0.0.1:{port}",
        "--method",
        METHOD,
        "--request",
        str(body),
        "--concurrency",
        str(arguments.concurrency),
        "--connections",
        str(arguments.connections),
        "--duration",
        str(arguments.duration),
        "--warmup",
        str(arguments.warmup),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    outcome: dict[str, Any] = json.loads(result.stdout)
    if outcome["errors"]:
        sys.exit(f"error: the load client saw failed calls: {outcome['errors']}")
    return outcome


def count_log_statuses(log: Path) -> dict[str, int]:
    """Calls logged by the generated server, by status (every call must be OK)."""
    counts: dict[str, int] = {}
    with log.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if '"msg": "rpc"' in line or '"status": ' in line:
                status = re.search(r'"status": "(\w+)"', line)
                if status:
                    counts[status.group(1)] = counts.get(status.group(1), 0) + 1
    return counts


def start_generated(
    name: str, project: common.Project, log: Path, extra: list[str]
) -> common.Server:
    port = common.free_port()
    return common.start_server(
        name,
        common.generated_server_command(project, port, *extra),
        project.env(INTEGRATION_PRESHARED_KEY=common.PRESHARED_KEY),
        project.root,
        log,
        port,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--type", default="customer-identity", choices=common.TYPES)
    parser.add_argument("--rounds", type=int, default=6, help="rounds per side (alternating)")
    parser.add_argument("--duration", type=int, default=5, help="seconds measured per round")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of load before that")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight")
    parser.add_argument("--connections", type=int, default=1, help="HTTP/2 connections")
    parser.add_argument("--client", choices=("auto", "h2load", "python"), default="auto")
    common.add_template_argument(parser)
    parser.add_argument(
        "--also",
        type=Path,
        help="a third side: this baked project (e.g. a patched copy), in the same rounds",
    )
    parser.add_argument(
        "--also-args",
        default="",
        help="extra serve arguments of the --also side, e.g. '--log-level warning'",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    arguments = parser.parse_args()
    h2load = shutil.which("h2load")
    client = arguments.client
    if client == "auto":
        client = "h2load" if h2load else "python"
    if client == "h2load" and not h2load:
        sys.exit("error: h2load not found (apt-get install nghttp2-client) or use --client python")
    sides = (*SIDES, ALSO) if arguments.also else SIDES

    print(common.machine())
    with common.scratch_dir("bench-throughput-", arguments.keep) as scratch:
        project = common.project_for(arguments, scratch / "baked", arguments.type)
        tenant = common.realistic_tenant(project)
        request = common.request_bytes(
            project, "integration.IntegrationService.GetManifest", {"configuration": tenant}
        )
        body = scratch / "request.grpc"
        body.write_bytes(common.grpc_frame(request))
        (scratch / "request.bin").write_bytes(request)
        logs = {side: scratch / f"{side}.log" for side in sides}
        servers: dict[str, common.Server] = {}
        try:
            servers["generated"] = start_generated("generated", project, logs["generated"], [])
            manifest = common.unary_call(servers["generated"].port, METHOD, request)
            (scratch / "manifest.bin").write_bytes(manifest)
            port = common.free_port()
            servers["bare"] = common.start_server(
                "bare",
                common.bare_server_command(
                    project, port, "--manifest", str(scratch / "manifest.bin")
                ),
                project.env(),
                project.root,
                logs["bare"],
                port,
            )
            if arguments.also:
                also = common.Project(
                    arguments.also.resolve(), project_package(arguments.also.resolve())
                )
                servers[ALSO] = start_generated(ALSO, also, logs[ALSO], arguments.also_args.split())
            for side, server in servers.items():
                if common.unary_call(server.port, METHOD, request) != manifest:
                    sys.exit(f"error: the {side} server's answer differs from the generated one")
            print(
                f"\nGetManifest of a baked {arguments.type} integration; request {len(request)} B,"
                f" response {len(manifest)} B; client {client}, {arguments.concurrency} calls in"
                f" flight over {arguments.connections} connection(s); {arguments.rounds} rounds"
                f" x {arguments.duration:g}s per side (+{arguments.warmup:g}s warm-up), alternating"
                + (f"; {ALSO}: {arguments.also} {arguments.also_args}" if arguments.also else "")
            )
            results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
            for index, side in common.alternate(arguments.rounds, sides):
                server = servers[side]
                cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
                if client == "h2load":
                    assert h2load is not None
                    outcome = run_h2load(
                        h2load, server.port, body, arguments, scratch / "h2load.log"
                    )
                else:
                    outcome = run_python_client(server.port, scratch / "request.bin", arguments)
                cpu = (server.cpu_seconds() - cpu_before) / (time.perf_counter() - wall_before)
                latencies = outcome["latencies_ms"]
                row = {
                    "rps": outcome["calls"] / outcome["seconds"],
                    "p50": common.percentile(latencies, 0.50),
                    "p99": common.percentile(latencies, 0.99),
                    "cpu": cpu * 100,
                    "cpu_us": cpu / (outcome["calls"] / outcome["seconds"]) * 1e6,
                }
                results[side].append(row)
                print(
                    f"  round {index + 1} {side:9} {row['rps']:8.0f} RPC/s  p50 {row['p50']:6.2f}"
                    f" ms  p99 {row['p99']:6.2f} ms  server CPU {row['cpu']:3.0f}%"
                    f" = {row['cpu_us']:4.0f} us/call",
                    flush=True,
                )
        finally:
            for server in servers.values():
                server.stop()
        for side in sides:
            if side != "bare":
                statuses = count_log_statuses(logs[side])
                if set(statuses) - {"OK"}:
                    sys.exit(f"error: the {side} server logged calls that were not OK: {statuses}")
        logged = sum(count_log_statuses(logs["generated"]).values())

    medians = {
        side: {key: common.median([row[key] for row in results[side]]) for key in results[side][0]}
        for side in sides
    }
    print(f"\ngenerated server logged {logged} calls, all OK\n")
    rows: list[list[object]] = [
        [
            side,
            f"{medians[side]['rps']:.0f}",
            f"{medians[side]['p50']:.2f}",
            f"{medians[side]['p99']:.2f}",
            f"{medians[side]['cpu']:.0f}%",
            f"{medians[side]['cpu_us']:.0f}",
        ]
        for side in sides
    ]
    bare = medians["bare"]
    for side in (side for side in sides if side != "bare"):
        mine = medians[side]
        rows.append(
            [
                f"{side} / bare",
                f"**{mine['rps'] / bare['rps']:.2f}**",
                f"{mine['p50'] / bare['p50']:.2f}",
                f"**{mine['p99'] / bare['p99']:.2f}**",
                "",
                f"{mine['cpu_us'] / bare['cpu_us']:.2f}",
            ]
        )
    print(
        common.table(
            ["", "RPC/s", "p50 (ms)", "p99 (ms)", "server CPU", "server CPU per call (us)"], rows
        )
    )
    starved = [side for side in sides if medians[side]["cpu"] < SATURATED]
    if starved:
        print(
            f"\nWARNING: the {' and '.join(starved)} server used less than {SATURATED}% CPU:"
            " something else (the load generator, other processes) limited the rate, so the"
            " RPC/s ratio says little about the servers; compare the CPU per call instead"
            + (" or install h2load (apt-get install nghttp2-client)" if client != "h2load" else "")
        )
    generated = medians["generated"]
    rps_ratio = generated["rps"] / bare["rps"]
    p99_ratio = generated["p99"] / bare["p99"]
    print(f"\nthroughput ratio {rps_ratio:.2f}: goal {common.verdict(rps_ratio, 0.90, True)}")
    print(f"p99 ratio        {p99_ratio:.2f}: goal {common.verdict(p99_ratio, 1.2, False)}")
    return 0


def project_package(root: Path) -> str:
    answers = json.loads((root / ".cookiecutter.json").read_text("utf-8"))
    return str(answers["package_name"])


if __name__ == "__main__":
    raise SystemExit(main())
