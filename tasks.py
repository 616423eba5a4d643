#!/usr/bin/env python3
"""Two commands for this template, needing nothing but Python 3.10+ and access to PyPI.

    python3 tasks.py try     bake a sample integration (defaults) and prove it builds:
                             its own venv, `pip install -e '.[dev]'`, pytest, ruff, mypy
    python3 tasks.py test    the template's own test suite, full matrix (CI runs this)
    python3 tasks.py test --fast    the fast tier only, for the edit-test loop

Both create the template's environment in .venv/ first (from requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*command: str | Path, cwd: Path = ROOT) -> int:
    print("+", " ".join(str(part) for part in command), flush=True)
    return subprocess.run([str(part) for part in command], cwd=cwd, check=False).returncode


def ensure_env(env_dir: Path, *requirements: str) -> Path:
    """A virtualenv at ``env_dir`` with ``requirements`` installed; returns its python."""
    python = env_dir / BIN.name / ("python.exe" if os.name == "nt" else "python")
    if not python.exists():
        venv.EnvBuilder(with_pip=True).create(env_dir)
        if run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"):
            sys.exit("error: could not upgrade pip in " + str(env_dir))
    if run(python, "-m", "pip", "install", "--quiet", *requirements):
        sys.exit("error: pip install failed (see above)")
    return python


def try_it(arguments: argparse.Namespace) -> int:
    python = ensure_env(VENV, "-r", str(ROOT / "requirements-dev.txt"))
    out = ROOT / "build" / "try"
    out.mkdir(parents=True, exist_ok=True)
    answers = [f"integration_type={arguments.type}"]
    code = run(
        python,
        "-m",
        "cookiecutter",
        "--no-input",
        "--overwrite-if-exists",
        "--output-dir",
        out,
        ROOT,
        *answers,
    )
    if code:
        return code
    project = next(
        path for path in sorted(out.iterdir(), key=os.path.getmtime, reverse=True) if path.is_dir()
    )
    project_python = ensure_env(project / ".venv", "-e", f"{project}[dev]")
    for check in (("-m", "pytest", "-q"), ("-m", "ruff", "check", "."), ("-m", "mypy")):
        code = run(project_python, *check, cwd=project)
        if code:
            return code
    print(f"\nok: {project.relative_to(ROOT)} builds, its tests pass, ruff and mypy are clean.")
    print(
        f"next: cd {project.relative_to(ROOT)} && . .venv/bin/activate && "
        f"python -m {project.name.replace('-', '_')} serve --insecure --port 50051"
    )
    return 0


def test(arguments: argparse.Namespace) -> int:
    python = ensure_env(VENV, "-r", str(ROOT / "requirements-dev.txt"))
    selection = [] if arguments.fast else ["--full"]
    code = run(python, "-m", "pytest", *selection, *arguments.pytest_args)
    if code == 5:
        print("error: no tests ran", file=sys.stderr)
        return 1
    return code


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    try_parser = commands.add_parser("try", help="bake a sample integration and prove it builds")
    try_parser.add_argument("--type", default="entitlements", help="integration type to bake")
    test_parser = commands.add_parser("test", help="run the template's test suite")
    test_parser.add_argument("--fast", action="store_true", help="fast tier only")
    test_parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments")
    arguments = parser.parse_args()
    return try_it(arguments) if arguments.command == "try" else test(arguments)


if __name__ == "__main__":
    raise SystemExit(main())
