"""Baking again: over a project whose stub was filled, with cruft, and with codegen itself.

- Re-baking over an existing project (``overwrite_if_exists``) runs both hooks again:
  they must be idempotent (the project is byte-for-byte what it was) and never touch a
  filled-in handler or an edited to-do test.
- ``cruft create`` then ``cruft check`` / ``cruft diff`` from the template (as a git
  repository, which cruft needs): the hooks must find the template under cruft too.
- ``cruft update`` after a template commit that changes the runtime and adds an RPC to
  the catalog: the change arrives, a filled-in handler survives, and the recipe the
  generated README gives for the handler conflict (keep yours, then ``regen``) works.
- The project's own code generator: ``regen`` changes nothing in a fresh bake and
  ``regen --check`` notices generated code that drifted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from baking import (
    CHECK_TIMEOUT,
    ROOT,
    TOOL_DIRS,
    assert_check_passes,
    child_env,
    project_files,
    read_answers,
)
from cookiecutter.main import cookiecutter

FILLED_RETURN = (
    "        return token_pb2.GenerateTokenResponse(\n"
    '            token="filled-by-the-test", license_url="https://licence.example.com/"\n'
    "        )\n"
)
TODO_ASSERTION = '    assert responses[0].token == "filled-by-the-test"\n'


def snapshot(project: Path) -> dict[str, bytes]:
    return {
        path.relative_to(project).as_posix(): path.read_bytes() for path in project_files(project)
    }


def differences(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def run(*command: str | Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=child_env(**env),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        timeout=CHECK_TIMEOUT,
    )


def test_rebake_over_a_filled_project_is_idempotent(baker):
    answers = {"integration_type": "drm", "vendor_name": "O'Brien & Sons"}
    project = baker.bake_fresh(**answers)
    package = read_answers(project)["package_name"]
    handler = project / "src" / package / "handlers" / "drm_token_service.py"
    source = handler.read_text(encoding="utf-8")
    assert source.count("        raise NotImplementedError\n") == 1
    handler.write_text(
        source.replace("        raise NotImplementedError\n", FILLED_RETURN), encoding="utf-8"
    )
    todo_test = project / "tests" / "rpcs" / "test_drm_token_service.py"
    todo_test.write_text(todo_test.read_text(encoding="utf-8") + TODO_ASSERTION, encoding="utf-8")
    before = snapshot(project)

    again = cookiecutter(
        str(baker.template),
        no_input=True,
        extra_context=answers,
        output_dir=str(project.parent),
        overwrite_if_exists=True,
        config_file=str(baker.config_file),
    )

    assert Path(again) == project
    after = snapshot(project)
    assert differences(before, after) == [], "re-baking changed the project"
    assert FILLED_RETURN in handler.read_text(encoding="utf-8")
    output = assert_check_passes(project, "pytest", "-rA")
    # The filled RPC's to-do test now runs for real (no longer an expected failure).
    assert "PASSED tests/rpcs/test_drm_token_service.py::test_generate_token" in output


def test_codegen_regen_is_idempotent_and_check_notices_drift(baker):
    project = baker.bake_fresh(integration_type="recommendations")
    package = read_answers(project)["package_name"]
    before = snapshot(project)

    regen = run(sys.executable, "-m", f"{package}.codegen", "regen", cwd=project, PYTHONPATH="src")
    assert regen.returncode == 0, regen.stderr
    assert differences(before, snapshot(project)) == [], "regen changed a fresh bake"

    check = run(
        sys.executable,
        "-m",
        f"{package}.codegen",
        "regen",
        "--check",
        cwd=project,
        PYTHONPATH="src",
    )
    assert check.returncode == 0, check.stderr
    assert "up to date" in check.stdout

    (project / "src" / package / "generated" / "contract.py").unlink()
    drift = run(
        sys.executable,
        "-m",
        f"{package}.codegen",
        "regen",
        "--check",
        cwd=project,
        PYTHONPATH="src",
    )
    assert drift.returncode == 1
    assert "generated/contract.py" in drift.stderr
    assert drift.stderr.strip().splitlines()[-1].startswith("error: ")


GIT = ("git", "-c", "user.name=Template Tests", "-c", "user.email=tests@example.com")


def git(*arguments: str, cwd: Path) -> str:
    result = run(*GIT, *arguments, cwd=cwd)
    assert result.returncode == 0, f"git {' '.join(arguments)}: {result.stderr}"
    return result.stdout


def copy_template_as_git_repo(target: Path) -> Path:
    """The template's working tree, committed in a fresh git repository (cruft clones it)."""
    ignore = shutil.ignore_patterns(*TOOL_DIRS, "build", "*.egg-info")
    shutil.copytree(ROOT, target, ignore=ignore)
    git("init", "-q", cwd=target)
    git("add", "-A", cwd=target)
    git("commit", "-q", "-m", "template", cwd=target)
    return target


def cruft(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "cruft", *arguments, cwd=cwd)


def cruft_create(tmp_path: Path, config_file: Path, answers: dict[str, str]) -> tuple[Path, Path]:
    """``cruft create`` from a git copy of the template; returns (template, project)."""
    template = copy_template_as_git_repo(tmp_path / "template")
    out = tmp_path / "out"
    out.mkdir()
    created = cruft(
        "create",
        "--no-input",
        "--config-file",
        str(config_file),
        "--output-dir",
        str(out),
        "--extra-context",
        json.dumps(answers),
        str(template),
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    (project,) = out.iterdir()
    return template, project


def test_cruft_create_then_check_and_diff(tmp_path, cookiecutter_config):
    answers = {"integration_type": "entitlements", "vendor_name": "Müller Medien"}
    template, project = cruft_create(tmp_path, cookiecutter_config, answers)
    recorded = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert recorded["template"] == str(template)
    assert recorded["context"]["cookiecutter"]["vendor_name"] == "Müller Medien"
    assert read_answers(project)["integration_type"] == "entitlements"

    checked = cruft("check", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    diffed = cruft("diff", "--exit-code", cwd=project)
    assert diffed.returncode == 0, "the project differs from the template:\n" + diffed.stdout
    assert_check_passes(project, "pytest")


RUNTIME_CHANGE = "# A change of the template's runtime, brought in by cruft update.\n"
NEW_RPC = (
    "  // Added by the test: a second RPC, as a newer catalog might bring.\n"
    "  rpc RevokeToken(GenerateTokenRequest) returns (GenerateTokenResponse);\n"
)


@pytest.mark.parametrize(
    "history",
    [
        # The fresh bake was committed before the stub was filled: git merges three ways
        # and marks the conflict in the handler.
        pytest.param(True, id="bake-committed-first"),
        # Only the filled project was ever committed: git cannot merge, so the hunk is
        # left in a .rej file beside the handler.
        pytest.param(False, id="filled-project-only", marks=pytest.mark.full),
    ],
)
def test_cruft_update_brings_template_changes_and_keeps_filled_handlers(
    tmp_path, cookiecutter_config, history
):
    template, project = cruft_create(tmp_path, cookiecutter_config, {"integration_type": "drm"})
    package = read_answers(project)["package_name"]
    handler = project / "src" / package / "handlers" / "drm_token_service.py"
    git("init", "-q", cwd=project)
    if history:
        git("add", "-A", cwd=project)
        git("commit", "-qm", "generated from the template", cwd=project)
    filled = handler.read_text(encoding="utf-8").replace(
        "        raise NotImplementedError\n", FILLED_RETURN
    )
    handler.write_text(filled, encoding="utf-8")
    git("add", "-A", cwd=project)
    git("commit", "-qm", "the vendor's work", cwd=project)

    # The template moves on: a runtime file changes and the catalog gains an RPC.
    errors_module = template / "{{cookiecutter.integration_slug}}" / "src"
    errors_module = errors_module / "{{cookiecutter.package_name}}" / "errors.py"
    errors_module.write_text(
        errors_module.read_text(encoding="utf-8") + RUNTIME_CHANGE, encoding="utf-8"
    )
    token_proto = template / "proto_catalog" / "drm" / "token.proto"
    contract = token_proto.read_text(encoding="utf-8")
    anchor = "  rpc GenerateToken(GenerateTokenRequest) returns (GenerateTokenResponse);\n"
    assert anchor in contract
    token_proto.write_text(contract.replace(anchor, anchor + NEW_RPC), encoding="utf-8")
    git("commit", "-qam", "runtime change, new RPC", cwd=template)
    assert cruft("check", cwd=project).returncode != 0, "cruft check missed the new commit"

    updated = cruft("update", "--skip-apply-ask", cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert (
        (project / "src" / package / "errors.py")
        .read_text(encoding="utf-8")
        .endswith(RUNTIME_CHANGE)
    )
    assert "rpc RevokeToken" in (project / "proto" / "drm" / "token.proto").read_text("utf-8")
    assert (project / "src" / package / "samples" / "DRMTokenService.RevokeToken.json").is_file()
    # Hook output that does not depend on the change stays as it was (idempotent hooks):
    # only the files the two commits' renders differ in are touched.
    changed = set(git("diff", "HEAD", "--name-only", cwd=project).split())
    assert f"src/{package}/errors.py" in changed
    assert {f"src/{package}/server.py", "tenant.example.json", "pyproject.toml"}.isdisjoint(changed)
    # The new stub lands next to the filled method: the conflict the README describes.
    # Its recipe: keep yours, then regen appends the missing stub.
    rejected = handler.with_name(handler.name + ".rej")
    if history:
        assert "<<<<<<<" in handler.read_text(encoding="utf-8")
        assert not rejected.exists()
        git("checkout", "--ours", "--", str(handler.relative_to(project)), cwd=project)
    else:
        assert "async def RevokeToken(" in rejected.read_text(encoding="utf-8")
        assert handler.read_text(encoding="utf-8") == filled
        rejected.unlink()
    regen = run(sys.executable, "-m", package, "regen", cwd=project, PYTHONPATH="src")
    assert regen.returncode == 0, regen.stdout + regen.stderr
    merged = handler.read_text(encoding="utf-8")
    assert FILLED_RETURN in merged
    assert "async def RevokeToken(" in merged
    assert "<<<<<<<" not in merged

    todo = run(sys.executable, "-m", package, "todo", cwd=project, PYTHONPATH="src")
    assert todo.returncode == 0, todo.stderr
    assert "DRMTokenService.RevokeToken" in todo.stdout
    assert "DRMTokenService.GenerateToken" not in todo.stdout
    if history:  # the end state is the same either way: run the project's tests once
        output = assert_check_passes(project, "pytest", "-rA")
        assert "PASSED tests/rpcs/test_drm_token_service.py::test_generate_token" in output
        assert "XFAIL tests/rpcs/test_drm_token_service.py::test_revoke_token" in output
