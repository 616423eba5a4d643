"""The template's configuration agrees with itself.

- ``cookiecutter.json`` offers exactly the catalog's types, and a prompt for each
  ``choice_key`` of the catalog (and no choice prompt the catalog does not know);
- ``requirements-dev.txt`` (the shared environment the baked projects' checks run in)
  names every dependency of a generated project, runtime and dev extra, and the
  environment running this suite satisfies their version floors;
- CI, the README and ``tasks.py`` run the same test command;
- ``_copy_without_render`` names exactly the project files that hold no Jinja syntax.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import re
import sys

from baking import ROOT, load_cookiecutter_json, load_index, read_answers

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Prompts that are not type-specific choices.
BASE_KEYS = {
    "integration_type",
    "vendor_name",
    "integration_slug",
    "package_name",
    "bundle_identifier",
    "proto_bundle",
    "event_subscriptions",
}
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(line: str) -> tuple[str, str]:
    """(normalized name, the rest: specifiers and markers) of one requirement line."""
    match = REQUIREMENT.match(line)
    assert match, line
    return normalize(match.group(1)), match.group(2)


def floor(specifier: str) -> tuple[int, ...] | None:
    match = re.search(r">=\s*([0-9][0-9.]*)", specifier)
    return tuple(int(part) for part in match.group(1).split(".") if part) if match else None


def version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def test_cookiecutter_types_are_the_catalog_types_in_order():
    config = load_cookiecutter_json()
    index = load_index()
    assert config["integration_type"] == [t["slug"] for t in index["types"]]
    labels = config["__prompts__"]["integration_type"]
    for integration_type in index["types"]:
        assert labels.get(integration_type["slug"]), integration_type["slug"]
    assert set(labels) - {"__prompt__"} == {t["slug"] for t in index["types"]}


def test_cookiecutter_choice_prompts_are_the_catalog_choice_keys():
    config = load_cookiecutter_json()
    index = load_index()
    choice_keys = {t["choice_key"] for t in index["types"] if "choice_key" in t}
    for key in choice_keys:
        assert key in config, f"catalog choice_key {key} has no prompt in cookiecutter.json"
        assert config[key] == "all", key  # default: every optional service
        prompt = config["__prompts__"][key]
        integration_type = next(t for t in index["types"] if t.get("choice_key") == key)
        for service in integration_type["services"]:
            if service.get("optional"):
                assert service["choice"] in prompt, (key, service["choice"])
    public = {key for key in config if not key.startswith("_")}
    assert public - BASE_KEYS == choice_keys, "a prompt is neither basic nor a catalog choice"
    assert config["event_subscriptions"] == "default"
    assert set(config["__prompts__"]) >= public


def test_copy_without_render_lists_exactly_the_plain_files():
    """Files Cookiecutter copies verbatim must hold no Jinja; every other plain file is listed.

    Copying instead of rendering saves a Jinja compile per file (a measurable share of the
    bake, see ``benchmarks/README.md``); a Jinja tag in a listed file would be copied into
    the project unrendered, and an unlisted plain file is compiled for nothing.
    """
    patterns = load_cookiecutter_json()["_copy_without_render"]
    project_template = next(ROOT.glob("{{cookiecutter.*}}"))
    files = {
        path.relative_to(project_template).as_posix(): path
        for path in project_template.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    for pattern in patterns:
        assert fnmatch.filter(files, pattern), f"_copy_without_render: {pattern} matches no file"
    listed = {name for name in files if any(fnmatch.fnmatch(name, p) for p in patterns)}
    jinja = re.compile(r"\{\{|\{%|\{#")
    plain = {name for name, path in files.items() if not jinja.search(path.read_text("utf-8"))}
    assert not listed - plain, f"listed in _copy_without_render but uses Jinja: {listed - plain}"
    assert not plain - listed, f"plain files missing from _copy_without_render: {plain - listed}"


def test_requirements_dev_has_every_dependency_of_a_generated_project(baker):
    project = baker.bake(integration_type="video-catalog")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    declared = list(pyproject["project"]["dependencies"])
    for extra in pyproject["project"].get("optional-dependencies", {}).values():
        declared += extra
    assert declared
    shared = {}
    for line in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, rest = parse_requirement(line)
            shared[name] = rest
    missing = [req for req in declared if parse_requirement(req)[0] not in shared]
    assert not missing, f"requirements-dev.txt lacks what generated projects need: {missing}"
    # The checks of baked projects run in this environment: it must meet their floors.
    too_old = []
    for requirement in declared:
        name, specifier = parse_requirement(requirement)
        wanted = floor(specifier)
        if wanted is None:
            continue
        installed = version_tuple(importlib.metadata.version(name))
        if installed < wanted:
            too_old.append(f"{name} {installed} < {wanted}")
    assert not too_old, f"the shared environment is older than a generated project needs: {too_old}"
    assert read_answers(project)["integration_type"] == "video-catalog"


def test_ci_readme_and_tasks_run_the_same_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^exec python3 tasks\.py test$", ci, re.MULTILINE)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```")[0]
    assert quick_start.strip().splitlines() == ["python3 tasks.py try", "python3 tasks.py test"]
    tasks = (ROOT / "tasks.py").read_text(encoding="utf-8")
    assert '["--full"]' in tasks, "tasks.py test must run the full matrix"
    assert "code == 5" in tasks, "tasks.py must treat 'no tests ran' as a failure"


def test_workflow_runs_the_suite_and_smoke_bakes():
    workflow = (ROOT / ".github" / "workflows" / "template.yml").read_text(encoding="utf-8")
    assert "python3 tasks.py test" in workflow
    for runner in ("ubuntu-latest", "windows-latest", "macos-latest"):
        assert runner in workflow, runner
