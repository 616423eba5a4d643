"""Run the five benchmarks one after the other, each with its defaults.

    python benchmarks/run_all.py            # about 8 minutes on 2 cores
    python benchmarks/run_all.py --quick    # fewer rounds, smaller streams: a smoke run

Each script prints its own table; run one alone for its options (``--help``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = {
    "bake_time.py": ["--rounds", "2", "--types", "customer-identity,video-catalog"],
    "throughput.py": ["--rounds", "2", "--duration", "2"],
    "streaming.py": ["--rounds", "1", "--sizes", "20000,100000"],
    "idle_footprint.py": ["--rounds", "1", "--types", "customer-identity"],
    "generated_suite.py": ["--rounds", "1", "--types", "customer-identity"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run of each")
    arguments = parser.parse_args()
    failed = []
    for script, quick in QUICK.items():
        print(f"\n=== {script} ===", flush=True)
        command = [sys.executable, str(HERE / script), *(quick if arguments.quick else [])]
        if subprocess.run(command, check=False).returncode:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
