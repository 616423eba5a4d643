"""Bakes against ``tests/bundles/alt_layout/``, a bundle in another proto layout.

``test_alt_bundle.py`` checks the bundle itself (all four RPC kinds, well-known types,
nested and keyword-named fields, versioned packages); here projects are baked with
``proto_bundle`` pointing at it, as a vendor does with the official Accedo One bundle.
Services must be found by their unique short name, exactly the files they need copied
(no well-known types), and the project's own checks must pass. The fast tier bakes each
covered type with its defaults; ``--full`` each of its choices.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from baking import (
    BUNDLES,
    Combination,
    assert_check_passes,
    expected_services,
    leftover_template_syntax,
    matrix,
    read_answers,
    read_contract,
)
from cookiecutter.main import cookiecutter

BUNDLE = BUNDLES / "alt_layout"
COVERED = ("recommendations", "video-catalog")
# RPCs of the bundle by kind; each must have become a stub method of its handler.
STREAMING_RPCS = {
    "RelatedContentRecommendationService": ["GetRelatedContentObjects", "StreamRelated"],
    "UserRecommendationService": ["GetRecommendedContentObjects", "ReportInteractions"],
    "CatalogSyncService": ["Sync"],
    "PlaybackService": ["GetPlaybackInfo"],
}

# The bundle's layout is what is under test here, not the choices (test_bake_matrix.py):
# each optional service alone with default events, and each event answer with all services.
COMBINATIONS = [
    c
    for c in matrix()
    if c.type_slug in COVERED and (c.events == "default" or c.choice in (None, "all"))
]
PARAMS = [
    pytest.param(
        combination,
        id=combination.id,
        marks=[pytest.mark.xdist_group(f"alt-{combination.id}")]
        + ([] if combination.fast else [pytest.mark.full]),
    )
    for combination in COMBINATIONS
]


def bake(baker, combination: Combination):
    return baker.bake(**combination.answers, proto_bundle=str(BUNDLE))


@pytest.mark.parametrize("combination", PARAMS)
def test_alt_bundle_bake_resolves_services_by_short_name(baker, combination: Combination):
    project = bake(baker, combination)
    assert not leftover_template_syntax(project)
    services, events = expected_services(combination)
    contract = read_contract(project)
    assert contract["event_subscriptions"] == events
    resolved = {s["requested"]: s["name"] for s in contract["services"]}
    assert sorted(resolved) == sorted(services)
    for requested, name in resolved.items():
        short = requested.rsplit(".", 1)[1]
        assert name.rsplit(".", 1)[1] == short
        if short == "EventNotificationService":
            assert name == requested  # the bundle keeps its documented full name
        else:
            assert name.startswith("accedo.one.v2."), name  # found by short name only
    copied = sorted(p.relative_to(project / "proto").as_posix() for p in project.rglob("*.proto"))
    assert copied, "no .proto files copied"
    assert all(not name.startswith("google/") for name in copied), copied
    for name in copied:
        assert (BUNDLE / name).read_bytes() == (project / "proto" / name).read_bytes(), name
    package = read_answers(project)["package_name"]
    registry = (project / "src" / package / "handlers" / "__init__.py").read_text(encoding="utf-8")
    for requested in services:
        short = requested.rsplit(".", 1)[1]
        assert short in registry, short
        module_text = "\n".join(
            p.read_text(encoding="utf-8")
            for p in (project / "src" / package / "handlers").glob("*.py")
        )
        for rpc in STREAMING_RPCS.get(short, []):
            assert f"def {rpc}(" in module_text, f"no stub for {short}.{rpc}"


@pytest.mark.parametrize("combination", PARAMS)
def test_alt_bundle_baked_pytest_passes(baker, combination: Combination):
    assert_check_passes(bake(baker, combination), "pytest")


@pytest.mark.parametrize("combination", PARAMS)
def test_alt_bundle_baked_ruff_passes(baker, combination: Combination):
    project = bake(baker, combination)
    assert_check_passes(project, "ruff-check")
    assert_check_passes(project, "ruff-format")


@pytest.mark.parametrize("combination", PARAMS)
def test_alt_bundle_baked_mypy_passes(baker, combination: Combination):
    assert_check_passes(bake(baker, combination), "mypy")


def test_relative_proto_bundle_is_taken_from_the_output_dir(baker, tmp_path):
    """``proto_bundle`` may be relative: to the output directory, as the README says."""
    out = tmp_path / "out"
    out.mkdir()
    relative = os.path.relpath(BUNDLE, out)
    assert not os.path.isabs(relative)
    project = cookiecutter(
        str(baker.template),
        no_input=True,
        extra_context={"integration_type": "video-catalog", "proto_bundle": relative},
        output_dir=str(out),
        config_file=str(baker.config_file),
    )
    contract = read_contract(Path(project))
    names = sorted(s["name"] for s in contract["services"])
    assert names == [
        "accedo.one.v2.platform.IntegrationService",
        "accedo.one.v2.video.CatalogSyncService",
        "accedo.one.v2.video.PlaybackService",
    ]
