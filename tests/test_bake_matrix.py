"""Every combination of answers the prompts offer, baked and checked.

The matrix comes from ``proto_catalog/catalog.json``: each integration type, times each
answer of its optional-services prompt (``choice_key``: ``all`` and each ``choice``
alone), times each answer of the event prompt (``default``, ``none``, each event key).
The fast tier bakes each type with its default answers; ``--full`` bakes all of them.

For each bake: Cookiecutter returns normally, no template syntax is left anywhere, the
project implements exactly the services and events that were chosen, and the project's
own pytest, ``ruff check``, ``ruff format --check`` and mypy pass. The tests of one
combination share one bake and one xdist worker (``--dist loadgroup``).
"""

from __future__ import annotations

import re

import pytest
from baking import (
    Combination,
    assert_check_passes,
    expected_services,
    leftover_template_syntax,
    load_index,
    matrix,
    read_answers,
    read_contract,
)

COMBINATIONS = matrix()


def snake_case(name: str) -> str:
    """Module name of a service's handler: ``DRMTokenService`` -> ``drm_token_service``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def params(combinations: list[Combination]) -> list:
    return [
        pytest.param(
            combination,
            id=combination.id,
            marks=[pytest.mark.xdist_group(combination.id)]
            + ([] if combination.fast else [pytest.mark.full]),
        )
        for combination in combinations
    ]


MATRIX = params(COMBINATIONS)


def test_matrix_covers_every_choice_of_the_catalog():
    """The matrix grows with the catalog: every type, optional service and event is in it."""
    index = load_index()
    ids = {combination.id for combination in COMBINATIONS}
    assert len(ids) == len(COMBINATIONS), "two combinations share a test id"
    fast = [c for c in COMBINATIONS if c.fast]
    assert [c.type_slug for c in fast] == [t["slug"] for t in index["types"]]
    for integration_type in index["types"]:
        mine = [c for c in COMBINATIONS if c.type_slug == integration_type["slug"]]
        for service in integration_type["services"]:
            if service.get("optional"):
                alone = [c for c in mine if c.choice == service["choice"]]
                assert alone, f"no bake with only {service['name']}"
        for event in index["events"]:
            assert any(c.events == event["key"] for c in mine), (integration_type, event)
        assert any(c.events == "none" for c in mine)


@pytest.mark.parametrize("combination", MATRIX)
def test_bake_is_clean(baker, combination: Combination):
    project = baker.bake(**combination.answers)
    assert project.is_dir()
    assert not (project / ".bake-plan.json").exists(), "the post hook left its plan behind"
    leftovers = leftover_template_syntax(project)
    assert not leftovers, "template syntax left in the output:\n" + "\n".join(leftovers)
    recorded = read_answers(project)
    for key, value in combination.answers.items():
        assert recorded[key] == value, key
    assert "_output_dir" not in recorded and "_repo_dir" not in recorded


@pytest.mark.parametrize("combination", MATRIX)
def test_bake_implements_exactly_the_choices(baker, combination: Combination):
    project = baker.bake(**combination.answers)
    services, events = expected_services(combination)
    contract = read_contract(project)
    assert contract["integration_type"] == combination.type_slug
    assert sorted(s["name"] for s in contract["services"]) == sorted(services)
    assert contract["event_subscriptions"] == events
    package = read_answers(project)["package_name"]
    handlers = project / "src" / package / "handlers"
    registry = (handlers / "__init__.py").read_text(encoding="utf-8")
    index = load_index()
    integration_type = next(t for t in index["types"] if t["slug"] == combination.type_slug)
    for service in integration_type["services"]:
        # One handler module per chosen service (the registry imports it), none for others;
        # a proto file may still declare an unchosen service of the same file.
        module = snake_case(service["name"].rsplit(".", 1)[1])
        chosen = service["name"] in services
        assert (handlers / f"{module}.py").exists() == chosen, service["name"]
        assert (f".{module} import" in registry) == chosen, service["name"]
    protos = "\n".join(
        path.read_text(encoding="utf-8") for path in (project / "proto").rglob("*.proto")
    )
    for service in services:
        assert f"service {service.rsplit('.', 1)[1]} " in protos, service
    assert ("service EventNotificationService " in protos) == bool(events)
    events_module = handlers / "events.py"
    assert events_module.exists() == bool(events)
    if events:
        body = events_module.read_text(encoding="utf-8")
        for key in events:
            assert key in body, key


@pytest.mark.parametrize("combination", MATRIX)
def test_baked_pytest_passes(baker, combination: Combination):
    project = baker.bake(**combination.answers)
    assert_check_passes(project, "pytest")


@pytest.mark.parametrize("combination", MATRIX)
def test_baked_ruff_passes(baker, combination: Combination):
    project = baker.bake(**combination.answers)
    assert_check_passes(project, "ruff-check")
    assert_check_passes(project, "ruff-format")


@pytest.mark.parametrize("combination", MATRIX)
def test_baked_mypy_passes(baker, combination: Combination):
    project = baker.bake(**combination.answers)
    assert_check_passes(project, "mypy")
