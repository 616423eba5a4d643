"""To-do tests: for each RPC (and subscribed event), a test that calls it with its sample.

While the handler is a stub, the ``todo`` marker makes the test an expected
failure (strict), so the test summary counts what is left; once the handler is
filled the test runs for real and must pass (and the marker asks to be removed).
Files are the vendor's once written: tests for new RPCs are appended (with the
import they need), nothing is rewritten; tests of RPCs that left the contract are
reported.
"""

from __future__ import annotations

import re
from pathlib import Path

from .imports import add_imports, import_block
from .model import MethodModel, snake_case
from .pysource import call, docstring, string_literal
from .stub_writer import HandlerSpec

# How a to-do test names the RPC it calls: ``harness.call_sample(SERVICE, "Method"``.
_CALLED = re.compile(r"call_sample\(\s*SERVICE,\s*\"(\w+)\"")


def test_name(method: str, event: str | None) -> str:
    suffix = f"_{snake_case(event.replace('.', '_'))}" if event else ""
    return f"test_{snake_case(method)}{suffix}"


def _served_by_base(spec: HandlerSpec, method: MethodModel, event: str | None) -> bool:
    """GetManifest and OnEvent itself are served by the template: no to-do marker."""
    return method not in spec.own_methods and event is None


def test_source(spec: HandlerSpec, method: MethodModel, event: str | None) -> str:
    arguments = ["SERVICE", string_literal(method.name)]
    if event:
        arguments.append(f"event={string_literal(event)}")
    marker = "" if _served_by_base(spec, method, event) else call("@todo", arguments, "")
    if method.server_streaming:
        check = '    assert responses, "the stream ended without a single message"\n'
    else:
        check = "    assert len(responses) == 1\n"
    return (
        f"\n\n{marker}async def {test_name(method.name, event)}(harness: Harness) -> None:\n"
        + call("responses = await harness.call_sample", arguments, "    ")
        + check
        + "    # Then assert what your mapping must answer for the sample request.\n"
    )


def write_todo_tests(
    specs: list[HandlerSpec], events: list[str], tests_dir: Path, package: str
) -> list[str]:
    tests_dir.mkdir(parents=True, exist_ok=True)
    (tests_dir / "__init__.py").touch()
    messages = []
    for spec in specs:
        cases = [
            (method, event)
            for method in spec.service.methods
            for event in (
                events if spec.role == "event_dispatch" and method.name == "OnEvent" else [None]
            )
        ]
        path = tests_dir / f"test_{spec.module}.py"
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        if existing is not None:
            rpcs = {method.name for method in spec.service.methods}
            messages += [
                f"warning: tests/rpcs/{path.name} calls {name}, which left the contract;"
                " delete that test"
                for name in sorted(set(_CALLED.findall(existing)) - rpcs)
            ]
        new = [
            (method, event)
            for method, event in cases
            if existing is None or f"def {test_name(method.name, event)}(" not in existing
        ]
        if not new:
            continue
        body = "".join(test_source(spec, method, event) for method, event in new)
        marked = not all(_served_by_base(spec, method, event) for method, event in new)
        if existing is None:
            header = docstring(
                f"To-do tests of ``{spec.service.full_name}``: each RPC called with its sample"
                " request.\n\n"
                "While a handler is a stub its test is an expected failure, so the test summary"
                f" counts what is left (``python -m {package} todo`` lists it). Fill the handler"
                " and its test must pass; then add assertions on the response.",
                "",
            )
            pairs = [("__future__", "annotations"), (f"{package}.testing", "Harness")]
            if marked:
                pairs.append(("tests.todo", "todo"))
            text = (
                f"{header}\n{import_block(pairs)}"
                f"\nSERVICE = {string_literal(spec.service.full_name)}\n" + body
            )
        else:
            text = existing.rstrip("\n") + "\n" + body
            if marked:
                text = add_imports(text, [("tests.todo", "todo")])
        path.write_text(text, encoding="utf-8")
        verb = "wrote" if existing is None else "added to"
        messages.append(f"{verb} tests/rpcs/{path.name}: {len(new)} test(s)")
    return messages
