"""The tenant configuration: parsed by its documented JSON names, checked, never leaked."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, message_factory

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.codegen.tenant_writer import (
    tenant_document,
    write_tenant_files,
)
from {{ cookiecutter.package_name }}.errors import (
    ConfigurationError,
)
from {{ cookiecutter.package_name }}.generated import contract
from {{ cookiecutter.package_name }}.parameters import (
    PARAMETERS,
)
from {{ cookiecutter.package_name }}.tenant_config import (
    Secret,
    TenantConfigParser,
)
from {{ cookiecutter.package_name }}.testing import (
    TEST_SECRETS,
    Harness,
    sample_tenant,
)

MANIFEST = "IntegrationService.GetManifest"
ROOT = Path(__file__).resolve().parent.parent


def configuration_message(document: dict[str, Any]) -> Any:
    """A configuration message of this bundle's own type, from its JSON form."""
    rpc = contracts.find_rpc(MANIFEST)
    field = next(f for f in rpc.descriptor.input_type.fields if f.json_name == "configuration")
    assert field.message_type is not None
    message = message_factory.GetMessageClass(field.message_type)()
    return json_format.ParseDict(document, message)


def test_the_documented_sample_parses() -> None:
    document = {
        "bundleIdentifier": "tv.accedo.your.integration",
        "values": {
            "preshared-key": {
                "isOverridden": True,
                "secureString": {
                    "decrypted": "super-secret",
                    "encrypted": "PAa26vvdaJ/XwHxCG6e7Me7y",
                },
            },
            "api-key": {"secureString": {"decrypted": "k", "encrypted": ""}},
        },
    }
    tenant = TenantConfigParser(PARAMETERS).parse(configuration_message(document))
    assert tenant.bundle_identifier == "tv.accedo.your.integration"
    assert tenant.secret("preshared-key").reveal() == "super-secret"
    assert tenant.overridden == frozenset({"preshared-key"})
    assert "super-secret" not in repr(tenant)
    assert "super-secret" not in str(tenant.secret("preshared-key"))


def test_defaults_fill_missing_optional_values() -> None:
    tenant = TenantConfigParser(PARAMETERS).parse(configuration_message(sample_tenant()))
    for parameter in PARAMETERS:
        assert tenant.get(parameter.key) is not None or not parameter.required


def broken(mutate: Any) -> dict[str, Any]:
    document = copy.deepcopy(sample_tenant())
    mutate(document["values"])
    return document


@pytest.mark.parametrize(
    ("document", "named"),
    [
        pytest.param(
            broken(lambda values: values.pop("api-key")), "api-key", id="missing-required"
        ),
        pytest.param(
            broken(lambda values: values.update({"no-such-key": {"stringValue": "x"}})),
            "no-such-key",
            id="unknown-key",
        ),
        pytest.param(
            broken(lambda values: values.update({"api-key": {"numberValue": 42.0}})),
            "api-key",
            id="number-where-secret",
        ),
        pytest.param(
            broken(lambda values: values["api-base-url"].update({"stringValue": "x" * 70_000})),
            "api-base-url",
            id="huge-value",
        ),
    ],
)
async def test_bad_configuration_is_invalid_argument(
    harness: Harness, document: Any, named: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await harness.call(MANIFEST, {}, tenant=document)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = raised.value.details() or ""
    assert named in details
    for secret in TEST_SECRETS.values():
        assert secret not in details
    assert "xxxxxxxx" not in details  # the value itself is never echoed


def test_parser_errors_do_not_echo_values() -> None:
    document = broken(lambda values: values.update({"api-key": {"stringValue": "leaky-value"}}))
    with pytest.raises(ConfigurationError) as raised:
        TenantConfigParser(PARAMETERS).parse(configuration_message(document))
    assert "leaky-value" not in str(raised.value)


def test_secret_compares_and_hides() -> None:
    secret = Secret("s3cr3t")
    assert secret.matches("s3cr3t")
    assert not secret.matches("other")
    assert "s3cr3t" not in repr(secret)
    assert "s3cr3t" not in f"{secret}"


def test_the_committed_example_follows_parameters_py() -> None:
    """``tenant.example.json`` holds every declared key, secrets as placeholders only."""
    example = json.loads((ROOT / "tenant.example.json").read_text(encoding="utf-8"))
    assert example == tenant_document(contract.BUNDLE_IDENTIFIER), "run regen to update it"
    for value in example["values"].values():
        if "secureString" in value:
            assert value["secureString"]["decrypted"].startswith("replace-with-your-")
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "tenant.json" in ignored
    assert "tenant.example.json" not in ignored


def test_tenant_json_is_written_once_and_never_overwritten(tmp_path: Path) -> None:
    messages = write_tenant_files(tmp_path, "com.example.test")
    assert messages == [
        "wrote tenant.example.json",
        "wrote tenant.json (git-ignored: put your test secrets there)",
    ]
    local = tmp_path / "tenant.json"
    mine = json.loads(local.read_text(encoding="utf-8"))
    mine["values"]["api-key"]["secureString"]["decrypted"] = TEST_SECRETS["api-key"]
    local.write_text(json.dumps(mine), encoding="utf-8")
    assert write_tenant_files(tmp_path, "com.example.test") == []
    assert json.loads(local.read_text(encoding="utf-8")) == mine
    mine["values"]["retired-key"] = {"stringValue": "x"}
    local.write_text(json.dumps(mine), encoding="utf-8")
    [warning] = write_tenant_files(tmp_path, "com.example.test")
    assert warning.startswith("warning: tenant.json does not match parameters.py")
    assert TEST_SECRETS["api-key"] not in warning
    assert json.loads(local.read_text(encoding="utf-8")) == mine
