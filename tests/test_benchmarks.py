"""The benchmarks run from a checkout with one command and print their results.

Numbers are not checked (a shared CI machine is too noisy for that; the figures live in
``benchmarks/README.md``): this only keeps the scripts working as the template changes.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from baking import ROOT

# Each script's closing line: its verdict against the goal, or its summary.
SUMMARIES = {
    "bake_time.py": "worst ratio",
    "throughput.py": "throughput ratio",
    "streaming.py": "generated: peak at",
    "idle_footprint.py": "generated / bare",
    "generated_suite.py": "slowest suite",
}


@pytest.mark.full
def test_every_benchmark_runs_and_prints_its_table():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    for script, summary in SUMMARIES.items():
        section = output.split(f"=== {script} ===", 1)
        assert len(section) == 2, f"{script} did not run:\n{output[-3000:]}"
        body = section[1].split("\n=== ", 1)[0]
        assert "|---" in body, f"{script} printed no table:\n{body[-3000:]}"
        assert summary in body, f"{script} printed no summary line:\n{body[-3000:]}"
