"""GetManifest announces what the code declares."""

from __future__ import annotations

from google.protobuf import json_format

from {{ cookiecutter.package_name }}.generated import (
    contract,
)
from {{ cookiecutter.package_name }}.parameters import (
    PARAMETERS,
)
from {{ cookiecutter.package_name }}.testing import Harness


async def manifest(harness: Harness) -> dict:  # type: ignore[type-arg]
    [response] = await harness.call("IntegrationService.GetManifest", {})
    document: dict = json_format.MessageToDict(response)["manifest"]  # type: ignore[type-arg]
    return document


async def test_manifest_lists_event_subscriptions(harness: Harness) -> None:
    document = await manifest(harness)
    assert document.get("eventSubscriptions", []) == list(contract.EVENT_SUBSCRIPTIONS)


async def test_manifest_declares_every_parameter(harness: Harness) -> None:
    document = await manifest(harness)
    declared = {entry["key"]: entry for entry in document.get("configurationParameters", [])}
    if not declared:  # an official bundle's manifest may have no such field
        return
    assert list(declared) == [parameter.key for parameter in PARAMETERS]
    for parameter in PARAMETERS:
        assert declared[parameter.key].get("required", False) == parameter.required


async def test_manifest_names_the_integration(harness: Harness) -> None:
    document = await manifest(harness)
    if "bundleIdentifier" in document:
        assert document["bundleIdentifier"] == contract.BUNDLE_IDENTIFIER
    if "implementedServices" in document:
        assert document["implementedServices"] == [name for name, _ in contract.SERVICES]
