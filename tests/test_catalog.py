"""Checks of proto_catalog/: it compiles, lints, matches its index and the spec.

The catalog is a reconstruction of the Accedo One integration bundle from the
public docs (see /work/shared/spec/accedo-one.md and proto_catalog/README.md).
Only the standard library, grpc_tools, protobuf and pytest are used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from descriptor_sets import compile_descriptor_set
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    json_format,
    message_factory,
)

REPO = Path(__file__).resolve().parent.parent
CATALOG = REPO / "proto_catalog"
INDEX_PATH = CATALOG / "catalog.json"
SAMPLES = Path(__file__).resolve().parent / "catalog_samples"

TYPE_SLUGS = [
    "customer-identity",
    "entitlements",
    "in-app-purchases",
    "video-catalog",
    "recommendations",
    "drm",
]
IDK_MODES = {
    "customer-identity": "customer-identity",
    "entitlements": "entitlement-purchase",
    "in-app-purchases": "entitlement-purchase",
    "video-catalog": "video-catalog",
    "recommendations": "recommendation",
    "drm": "drm",
}

# FileDescriptorProto / DescriptorProto / ... field numbers used in
# SourceCodeInfo.Location.path.
FILE_MESSAGE, FILE_ENUM, FILE_SERVICE = 4, 5, 6
MSG_FIELD, MSG_NESTED, MSG_ENUM, MSG_ONEOF = 2, 3, 4, 8
ENUM_VALUE = 2
SERVICE_METHOD = 2


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def fds(tmp_path_factory) -> descriptor_pb2.FileDescriptorSet:
    out = tmp_path_factory.mktemp("catalog") / "catalog.binpb"
    return compile_descriptor_set(CATALOG, out)


@pytest.fixture(scope="module")
def pool(fds) -> descriptor_pool.DescriptorPool:
    p = descriptor_pool.DescriptorPool()
    for f in fds.file:  # --include_imports emits dependencies first
        p.AddSerializedFile(f.SerializeToString())
    return p


@pytest.fixture(scope="module")
def catalog_files(fds) -> list[descriptor_pb2.FileDescriptorProto]:
    """The catalog's own files (not the well-known types)."""
    return [f for f in fds.file if (CATALOG / f.name).is_file()]


@pytest.fixture(scope="module")
def index() -> dict:
    return json.loads(INDEX_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog_services(catalog_files) -> dict[str, str]:
    """Full service name -> file that defines it."""
    out = {}
    for f in catalog_files:
        for s in f.service:
            out[f"{f.package}.{s.name}" if f.package else s.name] = f.name
    return out


def message_class(pool, full_name):
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def index_service_names(index) -> list[str]:
    names = [s["name"] for s in index["platform_services"]]
    for t in index["types"]:
        names += [s["name"] for s in t["services"]]
    return names


# --------------------------------------------------------------------------
# compile and lint


def test_catalog_compiles(catalog_files):
    names = {f.name for f in catalog_files}
    for required in (
        "common/configuration.proto",
        "common/request_context.proto",
        "integration/integration.proto",
        "external/notification/events.proto",
        "external/notification/notification.proto",
        "identity/identity.proto",
        "entitlement/entitlement.proto",
        "purchase/in_app_purchase.proto",
        "catalog/catalog_sync.proto",
        "playback/playback.proto",
        "recommendation/recommendation.proto",
        "drm/token.proto",
    ):
        assert required in names
    for f in catalog_files:
        assert f.syntax == "proto3", f.name


def find_buf() -> str | None:
    here = Path(sys.executable).parent / ("buf.exe" if sys.platform == "win32" else "buf")
    if here.is_file():
        return str(here)
    return shutil.which("buf")


def test_buf_lint_passes(tmp_path):
    buf = find_buf()
    if buf is None:
        pytest.fail(
            "`buf` not found next to the Python interpreter or on PATH: pip install buf-bin"
        )
    env = dict(os.environ)
    env.setdefault("BUF_CACHE_DIR", str(tmp_path / "buf-cache"))
    proc = subprocess.run(
        [buf, "lint"],
        cwd=CATALOG,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, f"buf lint failed:\n{proc.stdout}{proc.stderr}"


def test_buf_exceptions_are_narrow_and_point_at_existing_files():
    text = (CATALOG / "buf.yaml").read_text(encoding="utf-8")
    assert re.search(r"^version: v2$", text, re.MULTILINE)
    assert re.search(r"^\s+- STANDARD$", text, re.MULTILINE)
    # Only PACKAGE_VERSION_SUFFIX may be switched off module-wide.
    excepted = re.findall(
        r"^\s+- ([A-Z_]+)$",
        text.split("except:", 1)[1].split("ignore_only:", 1)[0],
        re.MULTILINE,
    )
    assert excepted == ["PACKAGE_VERSION_SUFFIX"]
    # Every ignore_only path exists and is a file.
    paths = re.findall(r"^\s+- ([\w./-]+\.proto)$", text.split("ignore_only:", 1)[1], re.MULTILINE)
    assert paths
    for p in paths:
        assert (CATALOG / p).is_file(), p
    assert "ignore:" not in text.replace("ignore_only:", "")


# --------------------------------------------------------------------------
# index


def test_index_shape(index):
    assert index["schema_version"] == 1
    assert set(index) == {"schema_version", "platform_services", "events", "types"}
    assert [t["slug"] for t in index["types"]] == TYPE_SLUGS
    roles = {s["role"]: s for s in index["platform_services"]}
    assert roles["manifest"]["name"] == "integration.IntegrationService"
    assert roles["manifest"]["when"] == "always"
    assert roles["event_dispatch"]["name"] == "external.notification.EventNotificationService"
    assert roles["event_dispatch"]["when"] == "events"
    for s in index["platform_services"]:
        assert set(s) == {"name", "role", "when", "label"} and s["label"]
    for e in index["events"]:
        assert set(e) == {"key", "label", "category", "description"}
        assert re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*", e["key"]), e["key"]
        assert e["label"] and e["category"] and e["description"]
    assert {
        "key": "content.video_played",
        "label": "Video played",
        "category": "Content",
    }.items() <= index["events"][0].items()


def test_index_types(index):
    event_keys = {e["key"] for e in index["events"]}
    assert len(event_keys) == len(index["events"])
    for t in index["types"]:
        slug = t["slug"]
        assert t["idk_mode"] == IDK_MODES[slug], slug
        assert t["label"] and t["description"], slug
        assert set(t["default_events"]) <= event_keys, slug
        allowed = {
            "slug",
            "label",
            "description",
            "idk_mode",
            "default_events",
            "services",
        }
        allowed |= {"choice_key", "choice_label", "idk_alias_of"}
        assert set(t) <= allowed, slug
        assert t["services"], slug
        optional = [s for s in t["services"] if s["optional"]]
        if optional:
            assert t["choice_key"] and t["choice_label"], slug
        else:
            assert "choice_key" not in t and "choice_label" not in t, slug
        choices = [s["choice"] for s in optional]
        assert len(choices) == len(set(choices)), slug
        for s in t["services"]:
            assert isinstance(s["optional"], bool) and s["label"], s
            if s["optional"]:
                assert re.fullmatch(r"[a-z][a-z0-9_]*", s["choice"]), s
                assert set(s) == {"name", "optional", "choice", "label"}
            else:
                assert set(s) == {"name", "optional", "label"}
    by_slug = {t["slug"]: t for t in index["types"]}
    assert by_slug["recommendations"]["default_events"] == ["content.video_played"]
    for slug in TYPE_SLUGS:
        if slug != "recommendations":
            assert by_slug[slug]["default_events"] == [], slug
    iap = by_slug["in-app-purchases"]
    assert iap["choice_key"] == "iap_platforms"
    assert [s["choice"] for s in iap["services"]] == [
        "apple",
        "google",
        "amazon",
        "roku",
    ]
    rec = by_slug["recommendations"]
    assert rec["choice_key"] == "recommendation_services"
    assert [s["choice"] for s in rec["services"]] == ["related", "user"]
    assert by_slug["drm"].get("idk_alias_of") == "video-catalog"
    choice_keys = [t["choice_key"] for t in index["types"] if "choice_key" in t]
    assert len(choice_keys) == len(set(choice_keys))


def test_index_services_exist_and_every_service_is_indexed(index, catalog_services):
    named = index_service_names(index)
    assert len(named) == len(set(named)), "a service is listed twice in the index"
    missing = [n for n in named if n not in catalog_services]
    assert not missing, f"index names services the catalog does not define: {missing}"
    orphans = sorted(set(catalog_services) - set(named))
    assert not orphans, f"services defined in the catalog but in no type: {orphans}"


def test_type_files_pull_in_no_other_types_services(index, catalog_files, catalog_services):
    """Copying a type's files (with transitive imports) brings no foreign services."""
    by_name = {f.name: f for f in catalog_files}

    def closure(name, seen):
        if name in seen or name not in by_name:
            return seen
        seen.add(name)
        for dep in by_name[name].dependency:
            closure(dep, seen)
        return seen

    for t in index["types"]:
        own = {s["name"] for s in t["services"]}
        files = set()
        for s in own:
            closure(catalog_services[s], files)
        pulled = {n for n, f in catalog_services.items() if f in files}
        assert pulled <= own, (t["slug"], pulled - own)


def test_event_keys_resolve_through_event_details(index, pool):
    details = pool.FindMessageTypeByName("external.notification.EventDetails")
    assert details.file.name == "external/notification/events.proto"
    category_oneof = details.oneofs_by_name["category"]
    for e in index["events"]:
        category, event = e["key"].split(".")
        cat_field = details.fields_by_name.get(category)
        assert cat_field is not None and cat_field.containing_oneof is category_oneof, e["key"]
        cat_msg = cat_field.message_type
        ev_field = cat_msg.fields_by_name.get(event)
        assert ev_field is not None, e["key"]
        assert ev_field.containing_oneof is cat_msg.oneofs_by_name["event"], e["key"]
        assert ev_field.message_type is not None, e["key"]
        # The category message's `type` enum names the event in upper case.
        type_field = cat_msg.fields_by_name.get("type")
        if type_field is not None and type_field.enum_type is not None:
            assert event.upper() in type_field.enum_type.values_by_name, e["key"]
    # And every modelled event is listed in the index.
    modelled = {
        f"{c.name}.{ev.name}"
        for c in category_oneof.fields
        for ev in c.message_type.oneofs_by_name["event"].fields
    }
    assert modelled == {e["key"] for e in index["events"]}


# --------------------------------------------------------------------------
# contracts


def test_every_request_starts_with_configuration(pool, catalog_services):
    for full_name in catalog_services:
        service = pool.FindServiceByName(full_name)
        for method in service.methods:
            field = method.input_type.fields_by_number.get(1)
            where = f"{full_name}.{method.name} ({method.input_type.full_name})"
            assert field is not None, where
            assert field.name == "configuration" and field.json_name == "configuration", where
            assert field.message_type is not None, where
            assert field.message_type.full_name == "common.Configuration", where


def test_configuration_json_names(pool):
    cfg = pool.FindMessageTypeByName("common.Configuration")
    assert [f.json_name for f in cfg.fields] == ["bundleIdentifier", "values"]
    value = cfg.fields_by_name["values"].message_type.fields_by_name["value"].message_type
    assert value.full_name == "common.ConfigurationValue"
    assert {f.json_name for f in value.fields} == {
        "isOverridden",
        "secureString",
        "stringValue",
        "boolValue",
        "numberValue",
        "stringListValue",
    }
    kinds = value.oneofs_by_name["kind"]
    assert {f.json_name for f in kinds.fields} == {
        "secureString",
        "stringValue",
        "boolValue",
        "numberValue",
        "stringListValue",
    }
    secure = value.fields_by_name["secure_string"].message_type
    assert [f.json_name for f in secure.fields] == ["decrypted", "encrypted"]
    lst = value.fields_by_name["string_list_value"].message_type
    assert [f.json_name for f in lst.fields] == ["values"]
    assert lst.fields[0].is_repeated


def _locations(file_proto):
    return {
        tuple(loc.path): loc.leading_comments.strip()
        for loc in file_proto.source_code_info.location
    }


def _iter_commentable(file_proto):
    """Yield (kind, name, path) for every element that needs a comment."""

    def enum(e, path, scope):
        yield "enum", f"{scope}.{e.name}", path
        for i, v in enumerate(e.value):
            yield "enum value", f"{scope}.{e.name}.{v.name}", (*path, ENUM_VALUE, i)

    def message(m, path, scope):
        if m.options.map_entry:
            return
        name = f"{scope}.{m.name}"
        yield "message", name, path
        for i, f in enumerate(m.field):
            yield "field", f"{name}.{f.name}", (*path, MSG_FIELD, i)
        for i, o in enumerate(m.oneof_decl):
            yield "oneof", f"{name}.{o.name}", (*path, MSG_ONEOF, i)
        for i, n in enumerate(m.nested_type):
            yield from message(n, (*path, MSG_NESTED, i), name)
        for i, e in enumerate(m.enum_type):
            yield from enum(e, (*path, MSG_ENUM, i), name)

    pkg = file_proto.package
    for i, m in enumerate(file_proto.message_type):
        yield from message(m, (FILE_MESSAGE, i), pkg)
    for i, e in enumerate(file_proto.enum_type):
        yield from enum(e, (FILE_ENUM, i), pkg)
    for i, s in enumerate(file_proto.service):
        yield "service", f"{pkg}.{s.name}", (FILE_SERVICE, i)
        for j, m in enumerate(s.method):
            yield (
                "rpc",
                f"{pkg}.{s.name}.{m.name}",
                (FILE_SERVICE, i, SERVICE_METHOD, j),
            )


def uncommented(files):
    missing = []
    for f in files:
        comments = _locations(f)
        for kind, name, path in _iter_commentable(f):
            if not comments.get(path):
                missing.append(f"{f.name}: {kind} {name}")
    return missing


def test_every_element_has_a_leading_comment(catalog_files):
    missing = uncommented(catalog_files)
    assert not missing, "elements without a leading comment:\n" + "\n".join(missing)


def _comment(catalog_files, kind, name):
    for f in catalog_files:
        comments = _locations(f)
        for k, n, path in _iter_commentable(f):
            if k == kind and n == name:
                return comments.get(path, "")
    raise AssertionError(f"{kind} {name} not found")


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("rpc", "identity.IdentityService.Authenticate"),
        ("rpc", "identity.IdentityService.Register"),
        ("rpc", "identity.IdentityService.RefreshCredentials"),
        ("rpc", "identity.IdentityService.Logout"),
        ("message", "identity.Credentials"),
        ("message", "identity.InteractiveElement"),
        ("service", "purchase.AppleInAppPurchaseService"),
        ("service", "purchase.GoogleInAppPurchaseService"),
        ("service", "purchase.AmazonInAppPurchaseService"),
        ("service", "purchase.RokuInAppPurchaseService"),
        ("message", "external.notification.OnEventResponse"),
        ("enum", "common.FormFactor"),
        ("enum", "common.DrmType"),
        ("field", "common.ConfigurationValue.string_value"),
        ("field", "common.ConfigurationValue.bool_value"),
        ("field", "common.ConfigurationValue.number_value"),
        ("field", "common.ConfigurationValue.string_list_value"),
        ("field", "integration.Manifest.bundle_identifier"),
        ("field", "integration.Manifest.configuration_parameters"),
        ("message", "integration.ConfigurationParameter"),
        ("message", "catalog.CatalogEntry"),
        ("message", "recommendation.GetRelatedContentObjectsRequest"),
        ("enum value", "external.notification.VideoPlayed.Lifecycle.START"),
    ],
)
def test_inferred_parts_say_so(catalog_files, kind, name):
    assert "Inferred" in _comment(catalog_files, kind, name)


def test_sync_comment_warns_about_promotion(catalog_files):
    text = _comment(catalog_files, "rpc", "catalog.CatalogSyncService.Sync")
    assert "WARNING" in text and "promote" in text and "UNIMPLEMENTED" in text


# --------------------------------------------------------------------------
# documented JSON samples parse strictly


def test_spec_configuration_json_parses_strictly(pool):
    cls = message_class(pool, "common.Configuration")
    msg = json_format.Parse(sample("configuration.json"), cls())
    assert msg.bundle_identifier == "tv.accedo.your.integration"
    value = msg.values["preshared-key"]
    assert value.is_overridden is True
    assert value.WhichOneof("kind") == "secure_string"
    assert value.secure_string.decrypted == "super-secret"
    assert json_format.MessageToDict(msg) == json.loads(sample("configuration.json"))


def test_inferred_configuration_kinds_parse(pool):
    cls = message_class(pool, "common.Configuration")
    doc = {
        "bundleIdentifier": "tv.accedo.x",
        "values": {
            "a": {"stringValue": "s"},
            "b": {"boolValue": True, "isOverridden": True},
            "c": {"numberValue": 2.5},
            "d": {"stringListValue": {"values": ["x", "y"]}},
        },
    }
    msg = json_format.Parse(json.dumps(doc), cls())
    assert msg.values["d"].string_list_value.values == ["x", "y"]
    assert json_format.MessageToDict(msg) == doc


def test_spec_on_event_json_parses_strictly(pool):
    cls = message_class(pool, "external.notification.OnEventRequest")
    text = sample("on_event_request.json")
    msg = json_format.Parse(text, cls())
    assert msg.details.WhichOneof("category") == "content"
    content = msg.details.content
    assert content.WhichOneof("event") == "video_played"
    played = content.video_played
    assert played.duration.seconds == 2360
    assert played.fully_watched.seconds == 5034
    assert list(played.entitlement_tags) == ["gold", "one", "one-authenticated"]
    assert played.via[0].id == "01EPY3B06MWB08MZ86ST3S8FCS"
    ctx = msg.details.end_user_request_context
    assert ctx.client_ip == "162.198.33.21"
    assert msg.configuration.values["preshared-key"].secure_string.decrypted == "super-secret"
    again = json_format.MessageToDict(msg)
    assert again == json.loads(text)
    assert again["details"]["content"]["objectSubtype"] == "VIDEO"
    assert again["details"]["content"]["type"] == "VIDEO_PLAYED"
    assert again["details"]["content"]["videoPlayed"]["lifecycle"] == "BEACON"
    assert again["details"]["content"]["videoPlayed"]["via"][0]["objectType"] == "COLLECTION"
    assert again["details"]["content"]["videoPlayed"]["duration"] == "2360s"


def test_documented_device_info_path_exists(pool):
    ctx = pool.FindMessageTypeByName("common.EndUserRequestContext")
    device = ctx.fields_by_name["device_info"]
    assert device.json_name == "deviceInfo"
    display = device.message_type.fields_by_name["display_info"]
    assert display.json_name == "displayInfo"
    form = display.message_type.fields_by_name["form_factor"]
    assert form.json_name == "formFactor"
    assert form.enum_type.full_name == "common.FormFactor"
    assert form.enum_type.values[0].name == "FORM_FACTOR_UNSPECIFIED"
    assert form.enum_type.values[0].number == 0


def test_manifest_json_parses_strictly(pool):
    cls = message_class(pool, "integration.GetManifestResponse")
    text = sample("manifest_response.json")
    msg = json_format.Parse(text, cls())
    assert list(msg.manifest.event_subscriptions) == ["content.video_played"]
    assert msg.manifest.configuration_parameters[1].default_value.string_value == "production"
    assert json_format.MessageToDict(msg) == json.loads(text)


def test_playback_info_json_parses_strictly(pool):
    service = pool.FindServiceByName("playback.PlaybackService")
    out = service.methods_by_name["GetPlaybackInfo"].output_type
    text = sample("playback_info_response.json")
    msg = json_format.Parse(text, message_factory.GetMessageClass(out)())
    streams = msg.playback_info.video_streams
    assert [d.license_url for d in streams[0].drm_info] == [
        "https://drm.example.com/widevine",
        "https://drm.example.com/playready",
    ]
    assert json_format.MessageToDict(msg) == json.loads(text)
    info = pool.FindMessageTypeByName("playback.PlaybackInfo")
    vs = info.fields_by_name["video_streams"]
    assert vs.json_name == "videoStreams"
    drm = vs.message_type.fields_by_name["drm_info"]
    assert drm.json_name == "drmInfo"
    assert drm.message_type.fields_by_name["type"].json_name == "type"
    assert drm.message_type.fields_by_name["type"].enum_type.full_name == "common.DrmType"


# --------------------------------------------------------------------------
# every documented name appears exactly

UNARY, SERVER_STREAM = (False, False), (False, True)

DOCUMENTED_METHODS = [
    ("integration.IntegrationService", "GetManifest", UNARY),
    ("external.notification.EventNotificationService", "OnEvent", UNARY),
    ("identity.IdentityService", "GetAuthenticationFields", UNARY),
    ("identity.IdentityService", "GetRegistrationFields", UNARY),
    ("entitlement.EntitlementService", "GetEntitlementsForUser", UNARY),
    ("entitlement.EntitlementService", "GetSubscriptionsForUser", UNARY),
    ("purchase.AppleInAppPurchaseService", "GetProducts", UNARY),
    ("purchase.AppleInAppPurchaseService", "ValidatePurchase", UNARY),
    ("purchase.GoogleInAppPurchaseService", "GetProducts", UNARY),
    ("purchase.GoogleInAppPurchaseService", "ValidatePurchase", UNARY),
    ("purchase.AmazonInAppPurchaseService", "GetProducts", UNARY),
    ("purchase.AmazonInAppPurchaseService", "ValidatePurchase", UNARY),
    ("purchase.RokuInAppPurchaseService", "GetProducts", UNARY),
    ("purchase.RokuInAppPurchaseService", "ValidatePurchase", UNARY),
    ("catalog.CatalogSyncService", "Sync", SERVER_STREAM),
    ("playback.PlaybackService", "GetPlaybackInfo", UNARY),
    (
        "recommendation.RelatedContentRecommendationService",
        "GetRelatedContentObjects",
        UNARY,
    ),
    ("recommendation.UserRecommendationService", "GetRecommendedContentObjects", UNARY),
    ("drm.DRMTokenService", "GenerateToken", UNARY),
]


@pytest.mark.parametrize(
    ("service_name", "method_name", "kind"),
    DOCUMENTED_METHODS,
    ids=[f"{s}.{m}" for s, m, _ in DOCUMENTED_METHODS],
)
def test_documented_method_exists(pool, service_name, method_name, kind):
    service = pool.FindServiceByName(service_name)
    method = service.methods_by_name[method_name]
    assert (method.client_streaming, method.server_streaming) == kind


@pytest.mark.parametrize(
    ("full_name", "file_name"),
    [
        ("drm.DRMTokenService", "drm/token.proto"),
        (
            "external.notification.EventNotificationService",
            "external/notification/notification.proto",
        ),
    ],
)
def test_documented_service_file(pool, full_name, file_name):
    assert pool.FindServiceByName(full_name).file.name == file_name


def test_documented_message_names(pool):
    assert pool.FindMessageTypeByName("external.notification.EventDetails").file.name == (
        "external/notification/events.proto"
    )
    identity = pool.FindServiceByName("identity.IdentityService")
    for name in ("GetAuthenticationFields", "GetRegistrationFields"):
        out = identity.methods_by_name[name].output_type
        lists = [f for f in out.fields if f.is_repeated and f.message_type is not None]
        assert [f.message_type.full_name for f in lists] == ["identity.InteractiveElement"], name
    manifest = pool.FindMessageTypeByName("integration.GetManifestResponse").fields_by_name[
        "manifest"
    ]
    events = manifest.message_type.fields_by_name["event_subscriptions"]
    assert events.json_name == "eventSubscriptions" and events.is_repeated
    request = pool.FindMessageTypeByName("external.notification.OnEventRequest")
    assert [f.json_name for f in request.fields] == ["configuration", "details"]
    purchase = pool.FindServiceByName("purchase.AppleInAppPurchaseService")
    validate = purchase.methods_by_name["ValidatePurchase"].input_type
    assert {"encoded_receipt", "decoded_receipt"} <= set(validate.fields_by_name)
