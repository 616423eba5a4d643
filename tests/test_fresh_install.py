"""A baked project really installs: fresh virtualenv, ``pip install -e '.[dev]'``, checks.

The other tests run baked projects' checks in the suite's own environment; this one
proves the generated ``pyproject.toml`` lists everything the project needs. It needs
network access to PyPI (CI has it), so it runs in the full tier only.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest
from baking import CHECK_TIMEOUT, child_env

INSTALL_TIMEOUT = 900


def venv_python(env_dir: Path) -> Path:
    return (
        env_dir
        / ("Scripts" if os.name == "nt" else "bin")
        / ("python.exe" if os.name == "nt" else "python")
    )


def run(*command: str | Path, cwd: Path, timeout: int = CHECK_TIMEOUT) -> None:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        timeout=timeout,
    )
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{output}"


@pytest.mark.full
def test_baked_project_installs_and_passes_in_a_fresh_venv(baker, tmp_path):
    project = baker.bake_fresh(integration_type="recommendations", vendor_name="Müller Medien")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = venv_python(env_dir)
    install = ("-m", "pip", "install", "--quiet", "-e", f"{project}[dev]")
    run(python, *install, cwd=project, timeout=INSTALL_TIMEOUT)
    # No PYTHONPATH: the installed package, its console script and dev tools only.
    run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    run(python, "-m", "ruff", "check", "--no-cache", ".", cwd=project)
    run(python, "-m", "mypy", cwd=project)
    # The console script named after the project is installed and runs.
    script = python.parent / (project.name + (".exe" if os.name == "nt" else ""))
    assert script.is_file(), f"no console script {script.name}"
    run(script, "--help", cwd=tmp_path)
