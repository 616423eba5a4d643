"""How long a generated project's own test suite takes (the figure its README quotes).

Per integration type: bake with the defaults, then run the project's suite the way its
README says (``python -m pytest``, default selection: the ``heavy`` reliability tests
are left out) several times; report the median wall time, the CPU time of pytest and
every process it started (servers, ``serve``/``call`` subprocesses, protoc), and the
slowest tests of the last round. The first run of each project (which also writes the
bytecode caches) is a warm-up and is not counted.

There is no floor to compare with here: the goal is absolute (under 15 s on a laptop).

    python benchmarks/generated_suite.py [--rounds 3] [--types drm,video-catalog]
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import time

import _common as common

GOAL_SECONDS = 15.0


def run_suite(project: common.Project, *extra: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the whole process tree, pytest's output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [common.PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=project.root,
        env=project.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode:
        sys.exit(f"error: the suite of {project.root.name} failed:\n{result.stdout[-4000:]}")
    return wall, cpu, result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="counted runs per type")
    parser.add_argument("--types", default=",".join(common.TYPES), help="comma-separated")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    common.add_template_argument(parser, project=False)
    arguments = parser.parse_args()
    print(common.machine())
    print(
        f"\neach type: bake, one warm-up run, then {arguments.rounds} counted runs of"
        " `python -m pytest -q` in the project (default selection)\n",
        flush=True,
    )
    rows = []
    slowest: dict[str, str] = {}
    with common.scratch_dir("bench-suite-", arguments.keep) as scratch:
        for integration_type in arguments.types.split(","):
            project = common.bake(scratch, integration_type, template=arguments.template)
            run_suite(project)  # warm-up: bytecode caches, page cache
            walls, cpus = [], []
            output = ""
            for index in range(arguments.rounds):
                last = index == arguments.rounds - 1
                wall, cpu, output = run_suite(project, *(["--durations=5"] if last else []))
                walls.append(wall)
                cpus.append(cpu)
            summary = re.search(r"^=*\s*(\d+ passed.*?) in [\d.]+s", output, re.MULTILINE)
            durations = re.findall(r"^(\d+\.\d+s \w+ +\S+)$", output, re.MULTILINE)
            slowest[integration_type] = "\n".join(f"    {line}" for line in durations)
            rows.append(
                [
                    integration_type,
                    summary.group(1) if summary else "?",
                    f"{common.median(walls):.1f}",
                    f"{min(walls):.1f}-{max(walls):.1f}",
                    f"{common.median(cpus):.1f}",
                ]
            )
            print(f"  {integration_type:18} median {common.median(walls):5.1f}s", flush=True)
    print()
    print(
        common.table(["type", "tests", "wall (s), median", "wall range", "CPU (s), median"], rows)
    )
    print("\nslowest tests (last round):")
    for integration_type, lines in slowest.items():
        print(f"  {integration_type}\n{lines}")
    worst = max(float(row[2]) for row in rows)
    verdict = "met" if worst < GOAL_SECONDS else "MISSED"
    print(f"\nslowest suite {worst:.1f}s: goal {verdict} (< {GOAL_SECONDS:g}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
