"""Bake time per integration type against its floor.

* bake: ``python -m cookiecutter --no-input <template> integration_type=<type>``, the
  way a user runs it: render, pre-generation hook (answer checks), post-generation
  hook (the project's codegen: protoc, package-relative imports, stubs, samples,
  to-do tests, tenant files).
* floor: what any generator of such a project must at least do, with the same tools
  run the same way: ``python -m grpc_tools.protoc`` on the same ``.proto`` files (those
  that end up in the baked project's ``proto/``; ``_pb2``, ``_pb2_grpc`` and ``.pyi``
  output) plus ``python -m cookiecutter --no-input`` rendering a one-file template
  (made in a temporary directory at run time). The floor is the sum of the two.
* render only (for the breakdown, not the ratio): the bake with ``--accept-hooks no``;
  bake minus render only is what the two hooks cost.

Sides alternate within every round (the order flips each round); the table gives
medians over rounds and the ratio bake / floor.

    python benchmarks/bake_time.py [--rounds 5] [--types drm,video-catalog]
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import _common as common

SIDES = ("bake", "floor", "render only")
ALSO = "bake --also"
GOAL = 1.5


class Clock:
    """Wall time, and CPU time of the child processes (steadier on a busy machine)."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def run(self, command: list[str]) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        self.wall += time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if result.returncode:
            sys.exit(f"error: {' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def tiny_template(directory: Path) -> Path:
    """A Cookiecutter template of one rendered file, for the floor."""
    (directory / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (directory / "cookiecutter.json").write_text(
        json.dumps({"project_slug": "tiny", "title": "Tiny"}), encoding="utf-8"
    )
    (directory / "{{cookiecutter.project_slug}}" / "README.md").write_text(
        "# {{ cookiecutter.title }}\n", encoding="utf-8"
    )
    return directory


def protoc_command(proto_dir: Path, out_dir: Path) -> list[str]:
    files = sorted(path.relative_to(proto_dir).as_posix() for path in proto_dir.rglob("*.proto"))
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    return [
        common.PYTHON,
        "-m",
        "grpc_tools.protoc",
        f"--proto_path={proto_dir}",
        f"--proto_path={well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *files,
    ]


def fresh(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per type")
    parser.add_argument(
        "--types", default=",".join(common.TYPES), help="comma-separated integration types"
    )
    common.add_template_argument(parser, project=False)
    parser.add_argument(
        "--also",
        type=Path,
        help="a second template (e.g. a patched copy) baked in the same rounds, for comparison",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    arguments = parser.parse_args()
    types = [name.strip() for name in arguments.types.split(",") if name.strip()]
    unknown = sorted(set(types) - set(common.TYPES))
    if unknown:
        sys.exit(f"error: unknown integration type(s): {', '.join(unknown)}")

    print(common.machine())
    print(
        f"\nbake = cookiecutter CLI on the template (render + hooks + codegen); floor ="
        f" grpc_tools.protoc on the same .proto files + cookiecutter CLI on a one-file"
        f" template; {arguments.rounds} rounds per type, sides alternating\n"
    )
    rows = []
    also_rows: list[list[object]] = []
    ratios = []
    with common.scratch_dir("bench-bake-", arguments.keep) as scratch:
        template = tiny_template(scratch / "tiny-template")
        for integration_type in types:
            # An untimed bake first: it names the .proto files the floor compiles and
            # warms the file cache for both sides alike.
            project = common.bake(
                fresh(scratch / "first"), integration_type, template=arguments.template
            )
            proto_dir = scratch / "proto" / integration_type
            shutil.copytree(project.root / "proto", proto_dir)
            proto_count = len(list(proto_dir.rglob("*.proto")))
            answer = f"integration_type={integration_type}"
            sides = (*SIDES, ALSO) if arguments.also else SIDES
            times: dict[str, list[float]] = {side: [] for side in sides}
            cpu: dict[str, list[float]] = {side: [] for side in sides}
            for _index, side in common.alternate(arguments.rounds, sides):
                out = fresh(scratch / "out")
                clock = Clock()
                if side == "bake":
                    clock.run(common.bake_command(out, answer, template=arguments.template))
                elif side == ALSO:
                    clock.run(common.bake_command(out, answer, template=arguments.also))
                elif side == "render only":
                    command = common.bake_command(out, answer, template=arguments.template)
                    clock.run([*command, "--accept-hooks", "no"])
                else:
                    clock.run(protoc_command(proto_dir, fresh(out / "generated")))
                    clock.run(common.bake_command(out, template=template))
                times[side].append(clock.wall)
                cpu[side].append(clock.cpu)
            bake, floor, render = (common.median(times[side]) for side in SIDES)
            ratio = bake / floor
            ratios.append(ratio)
            cpu_ratio = common.median(cpu["bake"]) / common.median(cpu["floor"])
            if arguments.also:
                also = common.median(times[ALSO])
                also_cpu = common.median(cpu[ALSO]) / common.median(cpu["floor"])
                also_rows.append(
                    [
                        integration_type,
                        f"{bake:.2f}",
                        f"{also:.2f}",
                        f"**{also / floor:.2f}**",
                        f"{also_cpu:.2f}",
                    ]
                )
            rows.append(
                [
                    integration_type,
                    proto_count,
                    f"{bake:.2f}",
                    f"{floor:.2f}",
                    f"**{ratio:.2f}**",
                    f"{render:.2f}",
                    f"{bake - render:.2f}",
                    f"{common.median(cpu['bake']):.2f} / {common.median(cpu['floor']):.2f}"
                    f" = {cpu_ratio:.2f}",
                ]
            )
            print(
                f"  {integration_type:18} bake {bake:.2f}s  floor {floor:.2f}s  ratio {ratio:.2f}"
                f"  (render only {render:.2f}s)",
                flush=True,
            )
    print()
    print(
        common.table(
            [
                "type",
                ".proto files",
                "bake (s)",
                "floor (s)",
                "bake / floor",
                "render only (s)",
                "hooks (s)",
                "CPU s: bake / floor",
            ],
            rows,
        )
    )
    if arguments.also:
        print(f"\n--also {arguments.also}:\n")
        print(
            common.table(
                ["type", "bake (s)", "bake --also (s)", "--also / floor", "CPU: --also / floor"],
                also_rows,
            )
        )
    worst = max(ratios)
    print(f"\nworst ratio {worst:.2f}: goal {common.verdict(worst, GOAL, False)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
