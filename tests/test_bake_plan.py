"""Unit tests of ``hooks/bake_plan.py``, the answer checks the pre-generation hook runs.

The module is imported by path, as the hook does (``hooks/`` is not a package), without
writing bytecode into the template checkout.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from baking import BUNDLES, CATALOG_DIR, ROOT, load_index


def import_bake_plan():
    spec = importlib.util.spec_from_file_location("bake_plan", ROOT / "hooks" / "bake_plan.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


bake_plan = import_bake_plan()
AnswerError = bake_plan.AnswerError
INDEX = load_index()
TYPES = {t["slug"]: t for t in INDEX["types"]}
EVENT_KEYS = [e["key"] for e in INDEX["events"]]


def answers(**overrides: str) -> dict[str, str]:
    base = {
        "integration_type": "entitlements",
        "vendor_name": "Example Vendor",
        "integration_slug": "example-vendor-entitlements",
        "package_name": "example_vendor_entitlements",
        "bundle_identifier": "com.examplevendor.accedo.entitlements",
        "proto_bundle": "",
        "iap_platforms": "all",
        "recommendation_services": "all",
        "event_subscriptions": "default",
    }
    base.update(overrides)
    return base


def plan(tmp_path: Path, **overrides: str) -> dict:
    result: dict = bake_plan.make_plan(
        answers(**overrides), catalog_dir=CATALOG_DIR, output_dir=tmp_path
    )
    return result


# --------------------------------------------------------------------------------------------
# parse_choice_list

ALLOWED = ["apple", "google", "amazon", "roku"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("default", None),
        (" DEFAULT ", None),
        ("all", ALLOWED),
        ("All", ALLOWED),
        ("", []),
        ("none", []),
        (" None ", []),
        ("apple", ["apple"]),
        ("google,apple", ["google", "apple"]),
        (" apple , roku ", ["apple", "roku"]),
        ("APPLE,Google", ["apple", "google"]),
        ("apple,apple", ["apple"]),
        ("apple,,google,", ["apple", "google"]),
    ],
)
def test_parse_choice_list(text, expected):
    assert bake_plan.parse_choice_list(text, ALLOWED, question="iap_platforms") == expected


def test_parse_choice_list_returns_a_copy_for_all():
    chosen = bake_plan.parse_choice_list("all", ALLOWED, question="q")
    chosen.append("x")
    assert ALLOWED == ["apple", "google", "amazon", "roku"]


@pytest.mark.parametrize("text", ["nokia", "apple,nokia", "apple google", "all,apple", "*"])
def test_parse_choice_list_rejects_unknown_items(text):
    with pytest.raises(AnswerError) as error:
        bake_plan.parse_choice_list(text, ALLOWED, question="iap_platforms")
    message = str(error.value)
    assert message.startswith("iap_platforms: ")
    assert "apple, google, amazon, roku" in message
    assert "\n" not in message


# --------------------------------------------------------------------------------------------
# check_* functions

GOOD_VENDOR_NAMES = [
    "Example Vendor",
    "O'Brien & Sons",
    'Say "Hi"',
    "Back\\slash",
    "<script>",
    "$(touch x)",
    "東京映像",
    "شركة",
    "Видео",
    "🎬",
    "3Play Media",
    "class",
    "!!!",
    "x" * 120,
]


@pytest.mark.parametrize("name", GOOD_VENDOR_NAMES)
def test_check_vendor_name_accepts(name):
    bake_plan.check_vendor_name(name)


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 121, "121 characters"),
        ("A\nB", "control character"),
        ("A\tB", "control character"),
        ("A\x00B", "control character"),
        ("A\x7fB", "control character"),
    ],
)
def test_check_vendor_name_rejects(name, needle):
    with pytest.raises(AnswerError, match=needle) as error:
        bake_plan.check_vendor_name(name)
    assert str(error.value).startswith("vendor_name")


@pytest.mark.parametrize(
    "slug", ["acme-drm", "3play-media-drm", "a", "acme_drm", "acme.drm", "a" * 80]
)
def test_check_slug_accepts(slug):
    bake_plan.check_slug(slug)


@pytest.mark.parametrize(
    "slug",
    ["", "Acme", "my slug", "-acme", ".acme", "_acme", "../x", "a/b", "a\\b", "a" * 81, "é"],
)
def test_check_slug_rejects(slug):
    with pytest.raises(AnswerError, match="integration_slug"):
        bake_plan.check_slug(slug)


@pytest.mark.parametrize(
    "package", ["acme", "acme_drm", "_acme", "integration_3play", "test", "p" * 60]
)
def test_check_package_name_accepts(package):
    bake_plan.check_package_name(package)


@pytest.mark.parametrize(
    ("package", "needle"),
    [
        ("", "not a valid Python package name"),
        ("Acme", "not a valid Python package name"),
        ("my package", "not a valid Python package name"),
        ("my-package", "not a valid Python package name"),
        ("3play", "not a valid Python package name"),
        ("p" * 61, "at most 60"),
        ("class", "keyword"),
        ("match", "keyword"),
        ("_", "keyword"),
        ("json", "shadow"),
        ("os", "shadow"),
        ("typing", "shadow"),
        ("asyncio", "shadow"),
        ("grpc", "shadow"),
        ("google", "shadow"),
        ("httpx", "shadow"),
        ("tests", "shadow"),
    ],
)
def test_check_package_name_rejects(package, needle):
    with pytest.raises(AnswerError, match=needle) as error:
        bake_plan.check_package_name(package)
    assert str(error.value).startswith("package_name")


@pytest.mark.parametrize(
    "identifier",
    ["tv.accedo.acme", "com.examplevendor.accedo.drm", "com.3play.accedo.drm", "a.b-c"],
)
def test_check_bundle_identifier_accepts(identifier):
    bake_plan.check_bundle_identifier(identifier)


@pytest.mark.parametrize(
    "identifier", ["acme", "Com.Acme", "3com.acme", ".acme.tv", "acme.tv.", "acme..tv", "a.b c"]
)
def test_check_bundle_identifier_rejects(identifier):
    with pytest.raises(AnswerError, match="bundle_identifier"):
        bake_plan.check_bundle_identifier(identifier)


def test_every_default_bundle_identifier_of_the_types_is_valid():
    """The default (cookiecutter.json) is com.<vendor slug>.accedo.<type without '-'>."""
    for slug in TYPES:
        for vendor in ("examplevendor", "3playmedia", "vendor"):
            bake_plan.check_bundle_identifier(f"com.{vendor}.accedo.{slug.replace('-', '')}")


# --------------------------------------------------------------------------------------------
# resolve_bundle_dir


def test_resolve_bundle_dir_defaults_to_the_catalog(tmp_path):
    assert bake_plan.resolve_bundle_dir("", catalog_dir=CATALOG_DIR, output_dir=tmp_path) == (
        CATALOG_DIR
    )
    assert bake_plan.resolve_bundle_dir("  ", catalog_dir=CATALOG_DIR, output_dir=tmp_path) == (
        CATALOG_DIR
    )


def test_resolve_bundle_dir_absolute_and_relative(tmp_path, monkeypatch):
    bundle = BUNDLES / "alt_layout"
    resolved = bake_plan.resolve_bundle_dir(
        str(bundle), catalog_dir=CATALOG_DIR, output_dir=tmp_path
    )
    assert resolved == bundle.resolve()
    # A relative path is taken from the output directory, not the current directory.
    monkeypatch.chdir(BUNDLES)
    resolved = bake_plan.resolve_bundle_dir(
        "alt_layout", catalog_dir=CATALOG_DIR, output_dir=BUNDLES
    )
    assert resolved == bundle.resolve()
    with pytest.raises(AnswerError, match="is not a directory"):
        bake_plan.resolve_bundle_dir("alt_layout", catalog_dir=CATALOG_DIR, output_dir=tmp_path)


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("does-not-exist", "is not a directory"),
        (str(BUNDLES / "no_protos" / "README.md"), "is not a directory"),
        (str(BUNDLES / "no_protos"), "holds no .proto files"),
    ],
)
def test_resolve_bundle_dir_rejects(tmp_path, path, needle):
    with pytest.raises(AnswerError, match=needle) as error:
        bake_plan.resolve_bundle_dir(path, catalog_dir=CATALOG_DIR, output_dir=tmp_path)
    assert str(error.value).startswith("proto_bundle")


# --------------------------------------------------------------------------------------------
# make_plan


def platform(events: list[str]) -> list[dict[str, str]]:
    return [
        {"name": p["name"], "role": p["role"]}
        for p in INDEX["platform_services"]
        if p["when"] == "always" or (p["when"] == "events" and events)
    ]


@pytest.mark.parametrize("slug", list(TYPES))
def test_make_plan_defaults_of_each_type(tmp_path, slug):
    result = plan(tmp_path, integration_type=slug)
    integration_type = TYPES[slug]
    events = integration_type["default_events"]
    vendor = [{"name": s["name"], "role": "vendor"} for s in integration_type["services"]]
    assert result["services"] == vendor + platform(events)
    assert result["event_subscriptions"] == events
    assert result["integration_type"] == slug
    assert result["vendor_name"] == "Example Vendor"
    assert result["bundle_dir"] == str(CATALOG_DIR)
    assert result["seed_samples_dir"] == str(CATALOG_DIR / "samples")


OPTIONAL = [
    (t["slug"], t["choice_key"], s["choice"], s["name"])
    for t in INDEX["types"]
    for s in t["services"]
    if s.get("optional")
]


@pytest.mark.parametrize(
    ("slug", "choice_key", "choice", "service"),
    OPTIONAL,
    ids=[f"{slug}[{choice}]" for slug, _, choice, _ in OPTIONAL],
)
def test_make_plan_one_optional_service(tmp_path, slug, choice_key, choice, service):
    result = plan(tmp_path, integration_type=slug, **{choice_key: choice})
    vendor = [s["name"] for s in result["services"] if s["role"] == "vendor"]
    required = [s["name"] for s in TYPES[slug]["services"] if not s.get("optional")]
    assert vendor == [*required, service]


@pytest.mark.parametrize("slug", [t["slug"] for t in INDEX["types"] if "choice_key" in t])
def test_make_plan_no_optional_service_is_an_error(tmp_path, slug):
    choice_key = TYPES[slug]["choice_key"]
    with pytest.raises(AnswerError, match=f"{choice_key}: choose at least one"):
        plan(tmp_path, integration_type=slug, **{choice_key: "none"})


@pytest.mark.parametrize("slug", list(TYPES))
@pytest.mark.parametrize("events", ["none", *EVENT_KEYS, "all"])
def test_make_plan_events(tmp_path, slug, events):
    result = plan(tmp_path, integration_type=slug, event_subscriptions=events)
    expected = [] if events == "none" else EVENT_KEYS if events == "all" else [events]
    assert result["event_subscriptions"] == expected
    roles = [s["role"] for s in result["services"]]
    assert ("event_dispatch" in roles) == bool(expected)
    assert roles.count("manifest") == 1


def test_make_plan_unknown_type(tmp_path):
    with pytest.raises(AnswerError, match="integration_type 'nope' is not one of") as error:
        plan(tmp_path, integration_type="nope")
    for slug in TYPES:
        assert slug in str(error.value)


def test_make_plan_unknown_event(tmp_path):
    with pytest.raises(AnswerError, match=re.escape("event_subscriptions: 'content.unknown'")):
        plan(tmp_path, event_subscriptions="content.unknown")


def test_make_plan_ignores_choices_of_other_types(tmp_path):
    result = plan(tmp_path, integration_type="drm", iap_platforms="nokia")
    assert [s["name"] for s in result["services"] if s["role"] == "vendor"] == [
        "drm.DRMTokenService"
    ]


def test_make_plan_checks_every_answer(tmp_path):
    for key, value, needle in [
        ("vendor_name", "", "vendor_name"),
        ("integration_slug", "Bad Slug", "integration_slug"),
        ("package_name", "json", "package_name"),
        ("bundle_identifier", "nope", "bundle_identifier"),
        ("proto_bundle", "missing-dir", "proto_bundle"),
    ]:
        with pytest.raises(AnswerError, match=needle):
            plan(tmp_path, **{key: value})


def test_make_plan_with_a_bundle(tmp_path):
    bundle = BUNDLES / "alt_layout"
    result = plan(tmp_path, integration_type="video-catalog", proto_bundle=str(bundle))
    assert result["bundle_dir"] == str(bundle.resolve())
    # Names stay the catalog's; codegen resolves them in the bundle (by short name).
    assert [s["name"] for s in result["services"]] == [
        "catalog.CatalogSyncService",
        "playback.PlaybackService",
        "integration.IntegrationService",
    ]
