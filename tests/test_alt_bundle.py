"""Checks of tests/bundles/alt_layout/, the stand-in for the official bundle.

Later tests bake projects with `proto_bundle` pointing at that directory; these
checks make sure it is a valid, representative bundle: it compiles with the
bundle directory as the single include root, its configuration message accepts
the documented configuration JSON strictly, it uses all four RPC kinds, and the
services a baked project looks up by short name are unique in it (and, except
for the documented EventNotificationService, not at the catalog's full names).
Only the standard library, grpc_tools, protobuf and pytest are used.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from descriptor_sets import compile_descriptor_set
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    json_format,
    message_factory,
)

TESTS = Path(__file__).resolve().parent
BUNDLE = TESTS / "bundles" / "alt_layout"
SAMPLES = TESTS / "catalog_samples"
CATALOG_INDEX = TESTS.parent / "proto_catalog" / "catalog.json"

# Short names a baked project resolves in the bundle, with the catalog's full
# name for each (the bundle must NOT define them there, except the documented
# EventNotificationService, which it keeps at its documented full name).
SHORT_NAMES = {
    "IntegrationService": "integration.IntegrationService",
    "EventNotificationService": "external.notification.EventNotificationService",
    "RelatedContentRecommendationService": "recommendation.RelatedContentRecommendationService",
    "UserRecommendationService": "recommendation.UserRecommendationService",
    "CatalogSyncService": "catalog.CatalogSyncService",
    "PlaybackService": "playback.PlaybackService",
}
PYTHON_KEYWORD_FIELDS = {"from", "class", "lambda", "global", "in", "is", "not", "pass"}


@pytest.fixture(scope="module")
def fds(tmp_path_factory) -> descriptor_pb2.FileDescriptorSet:
    return compile_descriptor_set(BUNDLE, tmp_path_factory.mktemp("alt") / "alt.binpb")


@pytest.fixture(scope="module")
def bundle_files(fds) -> list[descriptor_pb2.FileDescriptorProto]:
    return [f for f in fds.file if (BUNDLE / f.name).is_file()]


@pytest.fixture(scope="module")
def pool(fds) -> descriptor_pool.DescriptorPool:
    p = descriptor_pool.DescriptorPool()
    for f in fds.file:
        p.AddSerializedFile(f.SerializeToString())
    return p


@pytest.fixture(scope="module")
def services(bundle_files) -> dict[str, str]:
    """Full service name -> defining file."""
    return {f"{f.package}.{s.name}": f.name for f in bundle_files for s in f.service}


def _all_messages(file_proto):
    def walk(m, scope):
        name = f"{scope}.{m.name}"
        yield name, m
        for n in m.nested_type:
            yield from walk(n, name)

    for m in file_proto.message_type:
        yield from walk(m, file_proto.package)


def test_bundle_compiles_with_single_include_root(bundle_files):
    names = {f.name for f in bundle_files}
    assert "external/notification/notification.proto" in names
    assert "external/notification/events.proto" in names
    assert any(n.startswith("accedo/one/v2/") and n.count("/") >= 4 for n in names)
    # Packages differ from the directory layout in depth and are versioned.
    assert {
        "accedo.one.v2",
        "accedo.one.v2.platform",
        "accedo.one.v2.recommendations",
    } <= {f.package for f in bundle_files}


def test_short_names_are_unique_and_resolve_only_by_short_name(services):
    by_short: dict[str, list[str]] = {}
    for full in services:
        by_short.setdefault(full.rsplit(".", 1)[1], []).append(full)
    for short, catalog_full in SHORT_NAMES.items():
        assert len(by_short.get(short, [])) == 1, (short, by_short.get(short))
        (full,) = by_short[short]
        if short == "EventNotificationService":
            assert full == catalog_full
            assert services[full] == "external/notification/notification.proto"
        else:
            assert full != catalog_full, f"{short} must not be found by the catalog's full name"


def test_short_names_cover_the_catalog_types_they_stand_in_for():
    index = json.loads(CATALOG_INDEX.read_text(encoding="utf-8"))
    wanted = {s["name"] for s in index["platform_services"]}
    by_slug = {t["slug"]: t for t in index["types"]}
    for slug in ("recommendations", "video-catalog"):
        wanted |= {s["name"] for s in by_slug[slug]["services"]}
    assert wanted == set(SHORT_NAMES.values())


def test_all_four_rpc_kinds(pool, services):
    kinds = set()
    for full in services:
        for m in pool.FindServiceByName(full).methods:
            kinds.add((m.client_streaming, m.server_streaming))
    assert kinds == {(False, False), (False, True), (True, False), (True, True)}
    sync = pool.FindServiceByName("accedo.one.v2.video.CatalogSyncService").methods_by_name["Sync"]
    assert (sync.client_streaming, sync.server_streaming) == (False, True)


def test_every_request_starts_with_configuration(pool, services):
    config_types = set()
    for full in services:
        for m in pool.FindServiceByName(full).methods:
            f = m.input_type.fields_by_number.get(1)
            where = f"{full}.{m.name}"
            assert f is not None and f.name == "configuration" and f.json_name == "configuration", (
                where
            )
            assert f.message_type is not None, where
            config_types.add(f.message_type.full_name)
    assert config_types == {"accedo.one.v2.TenantConfiguration"}


def test_documented_configuration_json_parses_strictly(pool):
    cls = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("accedo.one.v2.TenantConfiguration")
    )
    text = (SAMPLES / "configuration.json").read_text(encoding="utf-8")
    msg = json_format.Parse(text, cls())
    assert msg.values["preshared-key"].secure_string.decrypted == "super-secret"
    assert json_format.MessageToDict(msg) == json.loads(text)


def test_documented_on_event_json_parses_strictly(pool):
    service = pool.FindServiceByName("external.notification.EventNotificationService")
    cls = message_factory.GetMessageClass(service.methods_by_name["OnEvent"].input_type)
    text = (SAMPLES / "on_event_request.json").read_text(encoding="utf-8")
    msg = json_format.Parse(text, cls())
    assert msg.details.content.video_played.duration.seconds == 2360
    assert json_format.MessageToDict(msg) == json.loads(text)


def test_manifest_has_event_subscriptions(pool):
    service = pool.FindServiceByName("accedo.one.v2.platform.IntegrationService")
    out = service.methods_by_name["GetManifest"].output_type
    manifest = out.fields_by_name["manifest"].message_type
    field = manifest.fields_by_name["event_subscriptions"]
    assert field.json_name == "eventSubscriptions" and field.is_repeated
    cls = message_factory.GetMessageClass(out)
    msg = json_format.Parse('{"manifest": {"eventSubscriptions": ["content.video_played"]}}', cls())
    assert list(msg.manifest.event_subscriptions) == ["content.video_played"]


def test_playback_info_json_names(pool):
    service = pool.FindServiceByName("accedo.one.v2.video.PlaybackService")
    out = service.methods_by_name["GetPlaybackInfo"].output_type
    cls = message_factory.GetMessageClass(out)
    msg = json_format.Parse(
        '{"videoStreams": [{"url": "u", "drmInfo": [{"type": "WIDEVINE"}]}]}', cls()
    )
    assert msg.video_streams[0].drm_info[0].type == 1


def test_awkward_features_are_present(bundle_files, pool):
    fields = set()
    message_names = set()
    nested_enum = nested_message = proto3_optional = False
    for f in bundle_files:
        for name, m in _all_messages(f):
            message_names.add(name.rsplit(".", 1)[1])
            fields |= {fld.name for fld in m.field}
            nested_message |= bool(m.nested_type)
            nested_enum |= bool(m.enum_type)
            proto3_optional |= any(fld.proto3_optional for fld in m.field)
    assert fields >= PYTHON_KEYWORD_FIELDS
    assert {"Type", "Object"} <= message_names
    assert nested_message and nested_enum and proto3_optional
    deps = {d for f in bundle_files for d in f.dependency}
    for wkt in ("timestamp", "duration", "struct", "wrappers", "empty"):
        assert f"google/protobuf/{wkt}.proto" in deps, wkt
    # Keyword-named fields work at runtime through getattr/setattr.
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("accedo.one.v2.Filter"))
    msg = cls()
    getattr(msg, "in").append("x")
    setattr(msg, "class", "12")
    getattr(getattr(msg, "not"), "in").append("y")
    assert json_format.MessageToDict(msg) == {
        "in": ["x"],
        "class": "12",
        "not": {"in": ["y"]},
    }


def test_every_element_has_a_leading_comment(bundle_files):
    missing = []
    for f in bundle_files:
        comments = {
            tuple(loc.path): loc.leading_comments.strip() for loc in f.source_code_info.location
        }

        def check(path, what, comments=comments, file_name=f.name):
            if not comments.get(path):
                missing.append(f"{file_name}: {what}")

        def enum(e, path, scope):
            check(path, f"{scope}.{e.name}")
            for i, v in enumerate(e.value):
                check((*path, 2, i), f"{scope}.{e.name}.{v.name}")

        def message(m, path, scope):
            if m.options.map_entry:
                return
            name = f"{scope}.{m.name}"
            check(path, name)
            for i, fld in enumerate(m.field):
                check((*path, 2, i), f"{name}.{fld.name}")
            synthetic = {fld.oneof_index for fld in m.field if fld.proto3_optional}
            for i, o in enumerate(m.oneof_decl):
                if i not in synthetic:
                    check((*path, 8, i), f"{name}.{o.name}")
            for i, n in enumerate(m.nested_type):
                message(n, (*path, 3, i), name)
            for i, e in enumerate(m.enum_type):
                enum(e, (*path, 4, i), name)

        for i, m in enumerate(f.message_type):
            message(m, (4, i), f.package)
        for i, e in enumerate(f.enum_type):
            enum(e, (5, i), f.package)
        for i, s in enumerate(f.service):
            check((6, i), f"{f.package}.{s.name}")
            for j, m in enumerate(s.method):
                check((6, i, 2, j), f"{f.package}.{s.name}.{m.name}")
    assert not missing, "elements without a leading comment:\n" + "\n".join(missing)
