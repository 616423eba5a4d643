"""Server-streaming throughput and peak memory: a filled-in ``CatalogSyncService.Sync``.

Bakes ``video-catalog``, copies ``benchmarks/synthetic_vendor.py`` into the baked
package and writes a ``Sync`` handler into the baked copy: an ``async def`` generator
that pages through the synthetic vendor's catalog (``BENCH_SYNC_ENTRIES`` items, pages
of ``BENCH_SYNC_PAGE``) and yields one ``SyncResponse`` per page, mapping each item to
a ``CatalogEntry``. Sides:

* generated: the baked project's ``serve --insecure`` (whole call pipeline, JSON logs
  at info to a file, the shared secret checked);
* bare: ``benchmarks/bare_server.py --sync``, protoc's servicer calling the same
  synthetic vendor and mapping.

Every (size, round, side) runs a fresh server process, so its peak resident memory
(``VmHWM`` in ``/proc/<pid>/status``, read when the stream has ended) belongs to that
stream alone. The client (``benchmarks/stream_client.py``) is its own process.
Goal: flat memory, the largest size's peak <= 1.2 x the smallest size's peak.

    python benchmarks/streaming.py                  # 100k (3 rounds) and 1M entries (1 round)
    python benchmarks/streaming.py --sizes 100000   # 100k only, well under a minute
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys

import _common as common

METHOD = "/catalog.CatalogSyncService/Sync"
SIDES = ("generated", "bare")
GOAL = 1.2
PAGE = 500

HANDLER = '''"""Handlers of ``catalog.CatalogSyncService``: filled in by benchmarks/streaming.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from google.protobuf import message_factory

from .. import synthetic_vendor
from ..call_context import CallContext
from .base import ServiceHandler


class CatalogSyncService(ServiceHandler):
    """Streams the synthetic vendor's catalog, one response per vendor page."""

    service_name = "catalog.CatalogSyncService"

    async def Sync(self, request: Any, context: CallContext) -> AsyncIterator[Any]:
        method = self.service.methods_by_name["Sync"]
        response_class = message_factory.GetMessageClass(method.output_type)
        entry_class = message_factory.GetMessageClass(
            method.output_type.fields_by_name["entries"].message_type
        )
        async for page in synthetic_vendor.pages():
            yield response_class(entries=[synthetic_vendor.to_entry(entry_class, i) for i in page])
'''


def fill_sync(project: common.Project) -> None:
    """Write the synthetic vendor and the filled-in handler into the baked copy."""
    shutil.copy(common.BENCH_DIR / "synthetic_vendor.py", project.package_dir)
    handler = project.package_dir / "handlers" / "catalog_sync_service.py"
    if not handler.is_file():
        sys.exit(f"error: {handler} is missing: has the handler layout changed?")
    handler.write_text(HANDLER, encoding="utf-8")


def stream(port: int, request_file: str) -> dict[str, float]:
    command = [
        common.PYTHON,
        str(common.BENCH_DIR / "stream_client.py"),
        "--target",
        f"127.0.0.1:{port}",
        "--method",
        METHOD,
        "--request",
        request_file,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"error: the stream failed:\n{result.stderr[-3000:]}")
    outcome: dict[str, float] = json.loads(result.stdout)
    return outcome


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="100000,1000000", help="entries per stream, comma-separated"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side and size")
    parser.add_argument(
        "--large-rounds", type=int, default=1, help="rounds per side for sizes >= 1,000,000"
    )
    common.add_template_argument(parser)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    arguments = parser.parse_args()
    sizes = sorted({int(size) for size in arguments.sizes.split(",") if size.strip()})

    print(common.machine())
    print(
        f"\nCatalogSyncService.Sync of a baked video-catalog integration, synthetic vendor,"
        f" pages of {PAGE} entries; a fresh server process per stream; client in its own"
        f" process; sides alternating\n"
    )
    results: dict[tuple[int, str], list[dict[str, float]]] = {}
    with common.scratch_dir("bench-streaming-", arguments.keep) as scratch:
        project = common.project_for(arguments, scratch / "baked", "video-catalog")
        fill_sync(project)
        tenant = common.realistic_tenant(project)
        request = common.request_bytes(
            project,
            "catalog.CatalogSyncService.Sync",
            {"configuration": tenant, "syncId": "01EPY3B06MWB08MZ86ST3S8FCS", "locales": ["en"]},
        )
        request_file = scratch / "request.bin"
        request_file.write_bytes(request)
        for size in sizes:
            rounds = arguments.large_rounds if size >= 1_000_000 else arguments.rounds
            for index, side in common.alternate(rounds, SIDES):
                port = common.free_port()
                env = project.env(BENCH_SYNC_ENTRIES=str(size), BENCH_SYNC_PAGE=str(PAGE))
                if side == "generated":
                    env["INTEGRATION_PRESHARED_KEY"] = common.PRESHARED_KEY
                    command = common.generated_server_command(project, port)
                else:
                    command = common.bare_server_command(project, port, "--sync")
                log = scratch / f"{side}.log"
                server = common.start_server(side, command, env, project.root, log, port)
                try:
                    before = server.status_kb("VmRSS")
                    cpu_before = server.cpu_seconds()
                    outcome = stream(port, str(request_file))
                    cpu = server.cpu_seconds() - cpu_before
                    peak = server.status_kb("VmHWM")
                finally:
                    server.stop()
                if outcome["entries"] != size:
                    sys.exit(f"error: {side} streamed {outcome['entries']} entries, not {size}")
                row = {
                    "rate": outcome["entries"] / outcome["seconds"],
                    "seconds": outcome["seconds"],
                    "cpu_us": cpu / size * 1e6,
                    "start_kb": before,
                    "peak_kb": peak,
                    "mb": outcome["bytes"] / 1e6,
                }
                results.setdefault((size, side), []).append(row)
                print(
                    f"  {size:>9,} entries  round {index + 1}  {side:9}"
                    f" {row['rate']:9,.0f} entries/s  {row['seconds']:6.1f}s"
                    f"  server CPU {row['cpu_us']:.1f} us/entry"
                    f"  RSS at start {mib(before)} MiB  peak {mib(peak)} MiB",
                    flush=True,
                )

    def med(size: int, side: str, key: str) -> float:
        return common.median([row[key] for row in results[(size, side)]])

    rows = []
    for size in sizes:
        for side in SIDES:
            rows.append(
                [
                    f"{size:,}",
                    side,
                    len(results[(size, side)]),
                    f"{med(size, side, 'rate'):,.0f}",
                    f"{med(size, side, 'seconds'):.1f}",
                    f"{med(size, side, 'cpu_us'):.1f}",
                    f"{med(size, side, 'mb'):.0f}",
                    mib(med(size, side, "start_kb")),
                    mib(med(size, side, "peak_kb")),
                ]
            )
        rate_ratio = med(size, "generated", "rate") / med(size, "bare", "rate")
        cpu_ratio = med(size, "generated", "cpu_us") / med(size, "bare", "cpu_us")
        peak_ratio = med(size, "generated", "peak_kb") / med(size, "bare", "peak_kb")
        rows.append(
            [
                f"{size:,}",
                "generated / bare",
                "",
                f"{rate_ratio:.2f}",
                "",
                f"{cpu_ratio:.2f}",
                "",
                "",
                f"{peak_ratio:.2f}",
            ]
        )
    print()
    print(
        common.table(
            [
                "entries",
                "server",
                "rounds",
                "entries/s",
                "seconds",
                "server CPU (us/entry)",
                "MB streamed",
                "RSS at start (MiB)",
                "peak RSS (MiB)",
            ],
            rows,
        )
    )
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for side in SIDES:
            growth = med(large, side, "peak_kb") / med(small, side, "peak_kb")
            line = f"\n{side}: peak at {large:,} / peak at {small:,} = {growth:.2f}"
            if side == "generated":
                line += f": goal {common.verdict(growth, GOAL, False)}"
            print(line, end="")
        print()
    else:
        print("\n(one size only: give two --sizes to check that memory stays flat)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
