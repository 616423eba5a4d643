"""Helpers of the template's test suite: bake projects, run their checks, read their files.

Everything here is plain functions and small classes; the fixtures that use them live in
``conftest.py``. Projects are baked through Cookiecutter's Python API (``Baker``) or, where
the hook's own words on stderr matter, through the ``cookiecutter`` command line
(``run_cookiecutter``). Their own checks (pytest, ruff, mypy) run in the environment that
runs this suite (``sys.executable``), which holds every dependency of a generated project
(``requirements-dev.txt``), with ``PYTHONPATH=src`` instead of an install.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
BUNDLES = TESTS / "bundles"
CATALOG_DIR = ROOT / "proto_catalog"
CATALOG_INDEX = CATALOG_DIR / "catalog.json"
COOKIECUTTER_JSON = ROOT / "cookiecutter.json"

# Generous bounds for one check of one baked project; a hung check fails, it never blocks CI.
CHECK_TIMEOUT = 600
# Directories the checks themselves create in a baked project (not template output).
TOOL_DIRS = frozenset(
    {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".venv", ".git"}
)
# What must never survive rendering: Jinja's opening delimiters (closing ones are common
# in plain code: nested dicts, JSON) and references to the Cookiecutter context.
TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#|cookiecutter\.")
# Short names of the catalog's choice keys in test ids; unknown keys keep their own name.
CHOICE_ID_NAMES = {"iap_platforms": "iap", "recommendation_services": "services"}

# The four checks a generated project promises to pass (its README and CI run the same).
CHECKS: dict[str, tuple[str, ...]] = {
    "pytest": ("-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider"),
    "ruff-check": ("-m", "ruff", "check", "--no-cache", "."),
    "ruff-format": ("-m", "ruff", "format", "--check", "--no-cache", "."),
    "mypy": ("-m", "mypy"),
}


def load_index() -> dict[str, Any]:
    index: dict[str, Any] = json.loads(CATALOG_INDEX.read_text(encoding="utf-8"))
    return index


def load_cookiecutter_json() -> dict[str, Any]:
    config: dict[str, Any] = json.loads(COOKIECUTTER_JSON.read_text(encoding="utf-8"))
    return config


# --------------------------------------------------------------------------------------------
# the matrix of answers, from the catalog


@dataclass(frozen=True)
class Combination:
    """One way to answer the type-specific prompts."""

    type_slug: str
    choice_key: str | None = None
    choice: str | None = None  # "all" or a comma-separated list of choices
    events: str = "default"
    fast: bool = False  # the type's default answers: baked in the fast tier too

    @property
    def answers(self) -> dict[str, str]:
        answers = {"integration_type": self.type_slug, "event_subscriptions": self.events}
        if self.choice_key and self.choice is not None:
            answers[self.choice_key] = self.choice
        return answers

    @property
    def id(self) -> str:
        parts = []
        if self.choice_key and self.choice is not None:
            name = CHOICE_ID_NAMES.get(self.choice_key, self.choice_key)
            parts.append(f"{name}={self.choice.replace(',', '+')}")
        if self.events != "default":
            parts.append(f"events={self.events.replace(',', '+')}")
        return f"{self.type_slug}[{','.join(parts)}]" if parts else self.type_slug


def event_answers(index: dict[str, Any]) -> list[str]:
    """Every answer the event prompt offers: default, none, each key, and all keys together."""
    keys = [event["key"] for event in index["events"]]
    answers = ["default", "none", *keys]
    if len(keys) > 1:
        answers.append(",".join(keys))
    return answers


def choice_answers(integration_type: dict[str, Any]) -> list[str | None]:
    """``all`` (the default) and each optional service alone; ``None`` if there are none.

    Every choice the prompt offers is baked; larger subsets add nothing (each service's
    code is generated independently; two services of one proto file are covered by
    ``all`` and by each alone) and would multiply the matrix.
    """
    choices = [s["choice"] for s in integration_type["services"] if s.get("optional")]
    if not choices:
        return [None]
    return ["all", *choices]


def matrix(index: dict[str, Any] | None = None) -> list[Combination]:
    """Every combination of type, optional services and events the prompts offer."""
    index = index or load_index()
    combinations = []
    for integration_type in index["types"]:
        for choice in choice_answers(integration_type):
            for events in event_answers(index):
                combinations.append(
                    Combination(
                        type_slug=integration_type["slug"],
                        choice_key=integration_type.get("choice_key"),
                        choice=choice,
                        events=events,
                        fast=choice in (None, "all") and events == "default",
                    )
                )
    return combinations


def expected_services(
    combination: Combination, index: dict[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    """(catalog service names, event keys) a bake of ``combination`` must implement."""
    index = index or load_index()
    integration_type = next(t for t in index["types"] if t["slug"] == combination.type_slug)
    chosen = None
    if combination.choice not in (None, "all"):
        chosen = set(combination.choice.split(","))
    services = [
        s["name"]
        for s in integration_type["services"]
        if not s.get("optional") or chosen is None or s["choice"] in chosen
    ]
    if combination.events == "default":
        events = list(integration_type["default_events"])
    elif combination.events == "none":
        events = []
    else:
        events = combination.events.split(",")
    for platform in index["platform_services"]:
        if platform["when"] == "always" or (platform["when"] == "events" and events):
            services.append(platform["name"])
    return services, events


# --------------------------------------------------------------------------------------------
# baking


def write_cookiecutter_config(directory: Path) -> Path:
    """A Cookiecutter config that keeps replay files and clones out of ``~``.

    It also shields the suite from a developer's ``~/.cookiecutterrc`` default_context,
    which would otherwise change the answers under test.
    """
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "cookiecutterrc.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(directory / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(directory / 'replay'))}\n"
        "default_context: {}\n",
        encoding="utf-8",
    )
    return config


@dataclass
class Baker:
    """Bakes through Cookiecutter's API, each distinct set of answers once per session."""

    base: Path
    config_file: Path
    template: Path = ROOT
    _cache: dict[tuple[tuple[str, str], ...], Path] = field(default_factory=dict)
    _count: itertools.count[int] = field(default_factory=itertools.count)

    def bake(self, **answers: str) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in self._cache:
            self._cache[key] = self.bake_fresh(**answers)
        return self._cache[key]

    def bake_fresh(self, **answers: str) -> Path:
        """A new bake in a new output directory (for tests that change the project)."""
        out = self.base / f"bake-{next(self._count)}"
        out.mkdir(parents=True)
        project = cookiecutter(
            str(self.template),
            no_input=True,
            extra_context=answers,
            output_dir=str(out),
            config_file=str(self.config_file),
        )
        return Path(project)


def run_cookiecutter(
    out_dir: Path, *answers: str, config_file: Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``cookiecutter`` command line, as a user runs it (``key=value`` answers, no shell)."""
    command = [
        sys.executable,
        "-m",
        "cookiecutter",
        "--no-input",
        "--config-file",
        str(config_file),
        "--output-dir",
        str(out_dir),
        str(ROOT),
        *answers,
    ]
    return subprocess.run(
        command,
        cwd=cwd or out_dir,
        env=child_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        timeout=CHECK_TIMEOUT,
    )


def child_env(**extra: str) -> dict[str, str]:
    """This environment without what pytest and xdist set for themselves."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_", "PYTHONPATH"))
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def run_check(project: Path, check: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run one of ``CHECKS`` inside ``project`` with the shared environment."""
    return subprocess.run(
        [sys.executable, *CHECKS[check], *extra],
        cwd=project,
        env=child_env(PYTHONPATH="src"),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        timeout=CHECK_TIMEOUT,
    )


def assert_check_passes(project: Path, check: str, *extra: str) -> str:
    result = run_check(project, check, *extra)
    output = result.stdout + result.stderr
    # Failing test ids first (a failing test's captured logs can fill the whole tail).
    # Then pytest's "E" lines: the assertion that failed, with its values.
    lines = output.splitlines()
    failed = [line for line in lines if line.startswith(("FAILED ", "ERROR "))][:20]
    failed += [line for line in lines if line.startswith("E ")][:60]
    output = "\n".join(failed) + ("\n...\n" if failed else "") + output[-6000:]
    assert result.returncode == 0, (
        f"{check} failed in {project} (exit {result.returncode}):\n{output}"
    )
    return result.stdout


# --------------------------------------------------------------------------------------------
# reading a baked project


def project_files(project: Path) -> list[Path]:
    """Every file of the baked project, without what its tools cached."""
    return sorted(
        path
        for path in project.rglob("*")
        if path.is_file() and not TOOL_DIRS.intersection(path.relative_to(project).parts)
    )


def representations(text: str) -> list[str]:
    """The ways an answer legitimately appears in generated files, longest first."""
    forms = {
        text,
        json.dumps(text)[1:-1],
        json.dumps(text, ensure_ascii=False)[1:-1],
        repr(text)[1:-1],
        repr(text.replace("'", '"'))[1:-1],
    }
    return sorted((form for form in forms if form), key=len, reverse=True)


def leftover_template_syntax(project: Path, *answers: str) -> list[str]:
    """Every place where template syntax survived rendering, as ``file:line: text``.

    Occurrences of the given answers (e.g. a vendor name that contains ``{{``) are the
    user's own text, in any of the forms generated files quote it in, and are ignored.
    """
    found = []
    for path in [project, *project.rglob("*")]:
        relative = path.relative_to(project)
        if TOOL_DIRS.intersection(relative.parts):
            continue
        name = "" if path == project else path.name
        if name != ".cookiecutter.json" and (
            TEMPLATE_SYNTAX.search(name) or "cookiecutter" in name
        ):
            found.append(f"{relative}: template syntax in the file name")
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary (descriptor sets)
        for number, line in enumerate(text.splitlines(), start=1):
            cleaned = line
            for answer in answers:
                for form in representations(answer):
                    cleaned = cleaned.replace(form, "")
            if TEMPLATE_SYNTAX.search(cleaned):
                found.append(f"{relative}:{number}: {line.strip()[:160]}")
    return found


def read_answers(project: Path) -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads(
        (project / ".cookiecutter.json").read_text(encoding="utf-8")
    )
    return recorded


def read_contract(project: Path) -> dict[str, Any]:
    contract: dict[str, Any] = json.loads(
        (project / "integration.json").read_text(encoding="utf-8")
    )
    return contract


def python_constant(path: Path, name: str) -> Any:
    """The literal value assigned to ``name`` at the top level of a Python module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            assert node.value is not None
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} assigns no {name}")


# --------------------------------------------------------------------------------------------
# failures


def assert_one_line_failure(
    result: subprocess.CompletedProcess[str], out_dir: Path, *needles: str
) -> str:
    """The bake failed in a hook with one line naming the problem, and left nothing behind.

    Cookiecutter logs ``ERROR: Stopping generation ...`` and its own traceback after a
    failing hook; the hook's line comes first on stderr, alone, and no traceback frame is
    the hook's (or the generated codegen's) own.
    """
    assert result.returncode != 0, f"the bake succeeded:\n{result.stdout}{result.stderr}"
    left = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*"))
    assert left == [], f"a failed bake left files behind: {left}"
    lines = result.stderr.splitlines()
    ours = [line for line in lines if line.startswith("error: ")]
    assert len(ours) == 1, f"expected one 'error: ' line on stderr:\n{result.stderr}"
    assert lines[0] == ours[0], f"something was printed before the error line:\n{result.stderr}"
    if len(lines) > 1:
        assert lines[1].startswith(("ERROR: ", "Traceback")), (
            f"the error message runs over more than one line:\n{result.stderr}"
        )
    frames = [line for line in lines if line.lstrip().startswith('File "')]
    foreign = [frame for frame in frames if f"{os.sep}cookiecutter{os.sep}" not in frame]
    assert not foreign, f"a traceback from our code:\n{result.stderr}"
    message = ours[0]
    for needle in needles:
        assert needle in message, f"{needle!r} not in the error line: {message}"
    return message


def assert_cookiecutter_rejects(
    result: subprocess.CompletedProcess[str], out_dir: Path, *needles: str
) -> str:
    """Cookiecutter itself refused the answers (before any hook ran), leaving nothing behind."""
    assert result.returncode != 0, f"the bake succeeded:\n{result.stdout}{result.stderr}"
    left = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*"))
    assert left == [], f"a failed bake left files behind: {left}"
    # Cookiecutter prints some refusals (an existing directory) on stdout, others as a
    # traceback on stderr; either way the last line names the problem.
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines, "cookiecutter failed without a word"
    last = lines[-1]
    for needle in needles:
        assert needle in last, f"{needle!r} not in the last line of output: {last}"
    return last
