"""Resident memory of the generated server after start-up, against a bare server.

Per integration type: the baked project's ``serve --insecure`` (JSON logs at info to a
file, the shared secret set) against ``benchmarks/bare_server.py`` (a bare ``grpc.aio``
server registering every service of the same generated modules). Each measurement is
a fresh process: started, listening, then left alone for ``--settle`` seconds before
``VmRSS`` is read from ``/proc/<pid>/status`` (split into anonymous and file-backed
memory), then read again after one ``GetManifest`` call. Sides alternate; the table
gives medians. The generated modules are byte-compiled once before measuring (as in
an installed project), so neither side pays for compiling source.

    python benchmarks/idle_footprint.py [--rounds 3] [--types drm,video-catalog]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import _common as common

METHOD = "/integration.IntegrationService/GetManifest"
SIDES = ("generated", "bare")
FIELDS = ("VmRSS", "RssAnon", "RssFile")


Results = dict[str, list[dict[str, int]]]


def measure(project: common.Project, scratch: Path, arguments: argparse.Namespace) -> Results:
    """Both sides of one baked project, alternating; samples per side."""
    request = common.request_bytes(
        project,
        "integration.IntegrationService.GetManifest",
        {"configuration": common.realistic_tenant(project)},
    )
    manifest_file = scratch / f"{project.package}-manifest.bin"
    env = {
        "generated": project.env(INTEGRATION_PRESHARED_KEY=common.PRESHARED_KEY),
        "bare": project.env(),
    }
    commands = {
        "generated": lambda port: common.generated_server_command(project, port),
        "bare": lambda port: common.bare_server_command(
            project, port, "--manifest", str(manifest_file)
        ),
    }
    # Untimed first start: writes the .pyc files and fetches the manifest.
    port = common.free_port()
    first = common.start_server(
        "generated",
        commands["generated"](port),
        env["generated"],
        project.root,
        scratch / "first.log",
        port,
    )
    try:
        manifest_file.write_bytes(common.unary_call(port, METHOD, request))
    finally:
        first.stop()
    results: Results = {side: [] for side in SIDES}
    for _index, side in common.alternate(arguments.rounds, SIDES):
        port = common.free_port()
        server = common.start_server(
            side, commands[side](port), env[side], project.root, scratch / f"{side}.log", port
        )
        try:
            time.sleep(arguments.settle)
            sample = {field: server.status_kb(field) for field in FIELDS}
            common.unary_call(port, METHOD, request)
            time.sleep(0.2)
            sample["after_call"] = server.status_kb("VmRSS")
            sample["threads"] = common.proc_status_number(server.pid, "Threads")
        finally:
            server.stop()
        results[side].append(sample)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side and type")
    parser.add_argument(
        "--types", default=",".join(common.TYPES), help="comma-separated integration types"
    )
    parser.add_argument("--settle", type=float, default=1.0, help="seconds idle before reading")
    common.add_template_argument(parser, project=False)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    arguments = parser.parse_args()
    types = [name.strip() for name in arguments.types.split(",") if name.strip()]
    unknown = sorted(set(types) - set(common.TYPES))
    if unknown:
        sys.exit(f"error: unknown integration type(s): {', '.join(unknown)}")

    print(common.machine())
    print(
        f"\nresident memory after start-up (+{arguments.settle:g}s idle) and after one"
        f" GetManifest call; {arguments.rounds} rounds per side and type, alternating\n"
    )
    rows: list[list[object]] = []
    with common.scratch_dir("bench-footprint-", arguments.keep) as scratch:
        for integration_type in types:
            project = common.bake(
                scratch / integration_type, integration_type, template=arguments.template
            )
            results = measure(project, scratch, arguments)

            def med(side: str, key: str, results: Results = results) -> float:
                return common.median([sample[key] for sample in results[side]])

            for side in SIDES:
                rows.append(
                    [
                        integration_type,
                        side,
                        f"{med(side, 'VmRSS') / 1024:.1f}",
                        f"{med(side, 'RssAnon') / 1024:.1f}",
                        f"{med(side, 'RssFile') / 1024:.1f}",
                        f"{med(side, 'after_call') / 1024:.1f}",
                        f"{med(side, 'threads'):.0f}",
                    ]
                )
            ratio = med("generated", "VmRSS") / med("bare", "VmRSS")
            extra = (med("generated", "VmRSS") - med("bare", "VmRSS")) / 1024
            rows.append([integration_type, "generated / bare", f"**{ratio:.2f}**", "", "", "", ""])
            print(
                f"  {integration_type:18} generated {med('generated', 'VmRSS') / 1024:.1f} MiB"
                f"  bare {med('bare', 'VmRSS') / 1024:.1f} MiB  ratio {ratio:.2f}"
                f" (+{extra:.1f} MiB)",
                flush=True,
            )
    print()
    print(
        common.table(
            [
                "type",
                "server",
                "RSS (MiB)",
                "anonymous",
                "file-backed",
                "RSS after 1 call",
                "threads",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
