"""The developer's day on a copy of this project: fill a stub, take in a new contract.

Each test copies the project to a temporary directory and works there as a vendor
would: edits a handler's text, adds an RPC to a ``.proto`` file, runs ``regen`` (or
``init`` again, as a re-bake or ``cruft update`` does), and checks that generated code
follows while everything the vendor wrote stays byte for byte. The copy's own tests
run in a child process to show a filled stub turning its expected failure into a pass.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.codegen.__main__ import (
    run,
)
from {{ cookiecutter.package_name }}.codegen.generate import (
    check,
)
from {{ cookiecutter.package_name }}.codegen.layout import (
    Layout,
)
from {{ cookiecutter.package_name }}.generated import (
    contract,
)
from {{ cookiecutter.package_name }}.handlers import HANDLERS
from {{ cookiecutter.package_name }}.stub_status import (
    unfilled,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"
NEW_RPC = "AddedByTest"
NEW_TEST = "test_added_by_test"  # its to-do test
NOT_COPIED = shutil.ignore_patterns(
    ".venv",
    ".git",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.egg-info",
    "build",
    "dist",
)


@dataclass(frozen=True)
class Target:
    """The first unary RPC of a vendor service: the one this test fills in."""

    service: str  # full name
    handler_class: str
    method: str
    request: str  # full names of its messages
    response: str
    handler: Path  # relative to the project root
    proto: Path
    module: str  # the handler module's name, also in tests/rpcs/test_<module>.py


def pick_target() -> Target:
    for name, role in contract.SERVICES:
        if role != "vendor":
            continue
        service = contracts.service(name)
        for method in service.methods:
            if method.client_streaming or method.server_streaming:
                continue
            handler_class = HANDLERS[name]
            source = Path(sys.modules[handler_class.__module__].__file__ or "")
            return Target(
                service=name,
                handler_class=handler_class.__name__,
                method=method.name,
                request=method.input_type.full_name,
                response=method.output_type.full_name,
                handler=source.resolve().relative_to(ROOT),
                proto=Path("proto") / service.file.name,
                module=source.stem,
            )
    raise AssertionError("every integration type has a vendor service with a unary RPC")


TARGET = pick_target()


@pytest.fixture
def project(tmp_path: Path) -> Layout:
    """A copy of this project, to change freely."""
    root = tmp_path / "project"
    shutil.copytree(ROOT, root, ignore=NOT_COPIED)
    return Layout(root=root, package=PACKAGE)


def method_node(
    source: str, class_name: str, method: str
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    [cls] = [
        n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == class_name
    ]
    [node] = [
        n
        for n in cls.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == method
    ]
    return node


def method_text(path: Path, method: str) -> str:
    source = path.read_text(encoding="utf-8")
    return ast.get_source_segment(source, method_node(source, TARGET.handler_class, method)) or ""


def fill(path: Path, method: str) -> str:
    """Fill a stub as a vendor would (answer an empty response); returns the method's text.

    A method that is not a stub is left as it is.
    """
    source = path.read_text(encoding="utf-8")
    node = method_node(source, TARGET.handler_class, method)
    last = node.body[-1]
    if ast.unparse(last) == "raise NotImplementedError":
        assert node.returns is not None
        response = ast.get_source_segment(source, node.returns)
        lines = source.splitlines(keepends=True)
        lines[last.lineno - 1] = " " * last.col_offset + f"return {response}()  # filled in\n"
        path.write_text("".join(lines), encoding="utf-8")
    return method_text(path, method)


def add_rpc(path: Path, name: str = NEW_RPC) -> None:
    """Add a unary RPC to the target service's ``.proto``, with the target RPC's types."""
    short = TARGET.service.rsplit(".", 1)[-1]
    text = path.read_text(encoding="utf-8")
    opening = f"service {short} " + "{"
    assert opening in text, f"{path} has no line '{opening}'"
    rpc = f"  rpc {name}(.{TARGET.request}) returns (.{TARGET.response});\n"
    path.write_text(text.replace(opening + "\n", opening + "\n" + rpc, 1), encoding="utf-8")


def regen(layout: Layout, capsys: pytest.CaptureFixture[str], **options: object) -> str:
    """``python -m <package> regen`` on the copy, in-process; returns what it printed."""
    arguments = argparse.Namespace(command="regen", bundle=None, check=False, quiet=False)
    for key, value in options.items():
        setattr(arguments, key, value)
    code = run(arguments, layout)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out + captured.err


def child_env(layout: Layout) -> dict[str, str]:
    """The copy's sources first on the path; no settings or pytest state inherited."""
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("INTEGRATION_", "PYTEST_"))
    }
    keep["PYTHONPATH"] = os.pathsep.join([str(layout.root / "src"), str(layout.root)])
    keep["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return keep


def run_in(layout: Layout, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter, our own arguments
        [sys.executable, *command],
        cwd=layout.root,
        env=child_env(layout),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# `todo`, then pytest on the copy's to-do tests of the target service, in one child
# process (both import the copy's package: one interpreter start instead of two).
END_OF_TODO = "-- end of todo --"
TODO_THEN_TESTS = (
    "import sys\n"
    "import pytest\n"
    f"from {PACKAGE}.cli import main\n"
    "main(['todo'])\n"
    f"print({END_OF_TODO!r}, flush=True)\n"
    "sys.exit(pytest.main(sys.argv[1:]))\n"
)


@dataclass(frozen=True)
class Day:
    """What the developer sees on a copy: the ``todo`` list and the to-do tests' outcomes."""

    todo: list[str]
    outcomes: dict[str, str]  # test name -> passed, xfailed, failed, ...
    output: str


def todo_and_tests(layout: Layout, report: Path) -> Day:
    """Run ``todo`` and the copy's to-do tests of the target service (only the plugins
    they need are loaded, which starts pytest faster)."""
    tests = f"tests/rpcs/test_{TARGET.module}.py"
    plugins = ["-p", "pytest_asyncio.plugin", "-p", "pytest_timeout", "-p", "no:cacheprovider"]
    result = run_in(layout, "-c", TODO_THEN_TESTS, "-q", *plugins, tests, f"--junitxml={report}")
    assert END_OF_TODO in result.stdout, result.stdout + result.stderr
    todo, _, output = result.stdout.partition(END_OF_TODO + "\n")
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):  # noqa: S314 - our own report
        children = {child.tag: child for child in case}
        if "skipped" in children:
            kind = children["skipped"].get("type")
            outcomes[case.attrib["name"]] = "xfailed" if kind == "pytest.xfail" else "skipped"
        elif "failure" in children or "error" in children:
            outcomes[case.attrib["name"]] = "failed"
        else:
            outcomes[case.attrib["name"]] = "passed"
    return Day(todo.splitlines(), outcomes, output)


def test_regen_adds_a_stub_keeps_filled_work_and_the_todo_list_follows(
    project: Layout, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    handler = project.root / TARGET.handler
    rpc_tests = project.rpc_tests_dir / f"test_{TARGET.module}.py"
    filled = fill(handler, TARGET.method)  # the vendor's work
    before = handler.read_text(encoding="utf-8")

    add_rpc(project.root / TARGET.proto)
    printed = regen(project, capsys)

    assert f"added to {handler.name}: {NEW_RPC}" in printed
    after = handler.read_text(encoding="utf-8")
    assert method_text(handler, TARGET.method) == filled  # byte for byte
    assert after.startswith(before.rstrip("\n"))  # appended, nothing before it touched
    stub = method_node(after, TARGET.handler_class, NEW_RPC)
    assert [ast.unparse(statement) for statement in stub.body[1:]] == ["raise NotImplementedError"]
    short = TARGET.service.rsplit(".", 1)[-1]
    assert (project.samples_dir / f"{short}.{NEW_RPC}.json").is_file()
    assert f'@todo(SERVICE, "{NEW_RPC}")' in rpc_tests.read_text(encoding="utf-8")
    assert check(project) == []  # regen --check is clean

    # Running regen again changes nothing.
    snapshot = {path: path.read_bytes() for path in project.root.rglob("*") if path.is_file()}
    assert "added to" not in regen(project, capsys)
    assert {p: p.read_bytes() for p in project.root.rglob("*") if p.is_file()} == snapshot

    # Before and after filling the new stub, side by side: this copy as it is, and a
    # copy of it with the new RPC filled in. Each lists its to-do and runs its tests.
    filled_copy = Layout(root=tmp_path / "filled", package=PACKAGE)
    shutil.copytree(project.root, filled_copy.root, ignore=NOT_COPIED)
    fill(filled_copy.root / TARGET.handler, NEW_RPC)
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(todo_and_tests, project, tmp_path / "stub.xml")
        filled_day = todo_and_tests(filled_copy, tmp_path / "filled.xml")
        stub_day = running.result()

    # `todo` lists the new RPC and not the filled one; once filled, not the new one either.
    left = [label for label in unfilled() if not label.startswith(f"{short}.{TARGET.method} ")]
    assert sorted(stub_day.todo) == sorted([*left, f"{short}.{NEW_RPC} (unary)"])
    assert sorted(filled_day.todo) == sorted(left)

    # Exactly one expected failure turned into a pass, and it asks for its marker to go.
    assert stub_day.outcomes[NEW_TEST] == "xfailed", stub_day.output
    assert filled_day.outcomes[NEW_TEST] == "passed", filled_day.output
    assert set(filled_day.outcomes) == set(stub_day.outcomes)
    changed = {
        name for name in stub_day.outcomes if stub_day.outcomes[name] != filled_day.outcomes[name]
    }
    assert changed == {NEW_TEST}
    assert "failed" not in filled_day.outcomes.values(), filled_day.output
    assert f"{short}.{NEW_RPC} is filled in: remove its @todo marker" in filled_day.output


def test_a_vanished_rpc_is_reported_and_its_code_kept(
    project: Layout, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = project.root / TARGET.handler
    add_rpc(project.root / TARGET.proto)
    regen(project, capsys)
    filled = fill(handler, NEW_RPC)
    proto = project.root / TARGET.proto
    proto.write_text(
        "".join(
            line
            for line in proto.read_text(encoding="utf-8").splitlines(keepends=True)
            if NEW_RPC not in line
        ),
        encoding="utf-8",
    )
    printed = regen(project, capsys)
    assert (
        f"{TARGET.handler_class}.{NEW_RPC} in {handler.name}: its RPC left the contract" in printed
    )
    assert f"calls {NEW_RPC}, which left the contract" in printed  # its to-do test
    assert method_text(handler, NEW_RPC) == filled
    assert check(project) == []


def user_files(layout: Layout) -> dict[Path, bytes]:
    """Everything that is the vendor's once written, with its bytes."""
    paths = [
        *layout.handlers_dir.glob("*.py"),
        *layout.samples_dir.glob("*.json"),
        *layout.rpc_tests_dir.glob("*.py"),
        layout.root / "tenant.json",
        layout.root / "tenant.example.json",
        layout.contract_path,
    ]
    return {path: path.read_bytes() for path in paths if path.name != "__init__.py"}


def plan_from(layout: Layout, bundle: Path) -> dict[str, object]:
    """The bake plan the template's hook would write for this project's answers."""
    recorded = layout.read_contract()
    return {
        "integration_type": recorded["integration_type"],
        "vendor_name": recorded["vendor_name"],
        "bundle_identifier": recorded["bundle_identifier"],
        "services": [
            {"name": service.get("requested", service["name"]), "role": service["role"]}
            for service in recorded["services"]
        ],
        "event_subscriptions": recorded["event_subscriptions"],
        "bundle_dir": str(bundle),
        "seed_samples_dir": None,
    }


def test_init_again_keeps_everything_of_the_vendor(
    project: Layout, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """What a re-bake over the project (or ``cruft update``) runs: the hook's ``init``."""
    fill(project.root / TARGET.handler, TARGET.method)
    (project.root / "tenant.json").write_text('{"values": {"api-key": {}}}\n', encoding="utf-8")
    for sample in project.samples_dir.glob("*.json"):
        sample.write_text('{"edited": "by the vendor"}\n', encoding="utf-8")
    bundle = tmp_path / "bundle"
    shutil.copytree(project.proto_dir, bundle)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_from(project, bundle)), encoding="utf-8")
    before = user_files(project)
    for _ in range(2):
        assert run(argparse.Namespace(command="init", plan=plan), project) == 0
        capsys.readouterr()
        assert user_files(project) == before
        assert check(project) == []


def test_regen_from_a_newer_bundle(
    project: Layout, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``regen --bundle``: the contract's services (and what they import) from elsewhere."""
    filled = fill(project.root / TARGET.handler, TARGET.method)
    bundle = tmp_path / "newer-bundle"
    shutil.copytree(project.proto_dir, bundle)
    (bundle / "unrelated").mkdir()
    (bundle / "unrelated" / "other.proto").write_text(
        'syntax = "proto3";\npackage unrelated;\nmessage Other {}\n', encoding="utf-8"
    )
    add_rpc(bundle / TARGET.proto.relative_to("proto"))
    printed = regen(project, capsys, bundle=bundle)
    assert f"took {len(contract.SERVICES)} service(s) from {bundle}" in printed
    assert f"added to {TARGET.handler.name}: {NEW_RPC}" in printed
    assert not (project.proto_dir / "unrelated").exists()  # only what the services need
    assert method_text(project.root / TARGET.handler, TARGET.method) == filled
    assert check(project) == []


@pytest.mark.heavy
def test_a_regenerated_project_type_checks(
    project: Layout, capsys: pytest.CaptureFixture[str]
) -> None:
    """mypy (strict) on the copy after a new RPC: the appended stub is typed."""
    add_rpc(project.root / TARGET.proto)
    regen(project, capsys)
    fill(project.root / TARGET.handler, NEW_RPC)
    result = run_in(project, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr
