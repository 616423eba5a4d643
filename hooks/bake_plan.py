"""Validate the answers of a bake and turn them into a bake plan.

Stdlib only: the pre-generation hook imports this module from the template's own
``hooks/`` directory. The plan it returns is all the post-generation step needs:
which services of which bundle the project implements, and which events it takes.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

INDEX_FILE = "catalog.json"
CATALOG_DIR = "proto_catalog"
PLAN_FILE = ".bake-plan.json"

MAX_VENDOR_NAME = 120
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
PACKAGE_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,59}$")
# Labels after the first may start with a digit, as DNS labels do (com.3play.drm).
BUNDLE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")

# Names a generated package must not take: it would shadow a dependency or tool
# the generated project imports (the standard library is checked separately).
RESERVED_PACKAGES = frozenset(
    {
        "google",
        "grpc",
        "grpc_health",
        "grpc_reflection",
        "grpc_tools",
        "httpx",
        "mypy",
        "pip",
        "prometheus_client",
        "pytest",
        "ruff",
        "setuptools",
        "tests",
        "trustme",
    }
)


class AnswerError(ValueError):
    """An answer that cannot make a working project; the message says how to fix it."""


def load_index(catalog_dir: Path) -> dict[str, Any]:
    """Read the catalog index, the single source of truth for types and services."""
    with (catalog_dir / INDEX_FILE).open(encoding="utf-8") as index_file:
        index: dict[str, Any] = json.load(index_file)
    return index


def parse_choice_list(value: str, allowed: list[str], *, question: str) -> list[str] | None:
    """Parse a comma-separated answer; ``None`` means the keyword ``default``."""
    text = value.strip().lower()
    if text == "default":
        return None
    if text == "all":
        return list(allowed)
    if text in ("", "none"):
        return []
    chosen: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if item not in allowed:
            raise AnswerError(
                f"{question}: {item!r} is not one of {', '.join(allowed)}"
                " (answer a comma-separated list, 'all' or 'none')"
            )
        if item not in chosen:
            chosen.append(item)
    return chosen


def check_vendor_name(name: str) -> None:
    if not name.strip():
        raise AnswerError(
            "vendor_name is empty: give the vendor's name, e.g. vendor_name='Acme Media'"
        )
    if len(name) > MAX_VENDOR_NAME:
        raise AnswerError(
            f"vendor_name is {len(name)} characters long; keep it to {MAX_VENDOR_NAME}"
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise AnswerError("vendor_name contains a control character (newline, tab, ...); remove it")


def check_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise AnswerError(
            f"integration_slug {slug!r} is not a valid directory name: use lowercase letters,"
            " digits, '-', '_' or '.', starting with a letter or digit, at most 80 characters"
        )


def check_package_name(package: str) -> None:
    if not PACKAGE_PATTERN.match(package):
        raise AnswerError(
            f"package_name {package!r} is not a valid Python package name: use lowercase letters,"
            " digits and '_', not starting with a digit, at most 60 characters"
        )
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        raise AnswerError(f"package_name {package!r} is a Python keyword; choose another name")
    if package in sys.stdlib_module_names or package in RESERVED_PACKAGES:
        raise AnswerError(
            f"package_name {package!r} would shadow the module of the same name;"
            f" choose another name, e.g. {package}_integration"
        )


def check_bundle_identifier(identifier: str) -> None:
    if not BUNDLE_ID_PATTERN.match(identifier):
        raise AnswerError(
            f"bundle_identifier {identifier!r} is not a reverse-DNS identifier"
            " such as tv.accedo.acme.entitlements (lowercase letters, digits, '-', dot-separated)"
        )


def resolve_bundle_dir(answer: str, *, catalog_dir: Path, output_dir: Path) -> Path:
    """The directory of .proto files to take services from (relative paths: from the output dir)."""
    if not answer.strip():
        return catalog_dir
    bundle = Path(answer.strip()).expanduser()
    if not bundle.is_absolute():
        bundle = output_dir / bundle
    if not bundle.is_dir():
        raise AnswerError(
            f"proto_bundle {str(bundle)!r} is not a directory; give the path of the .proto bundle"
        )
    if next(bundle.rglob("*.proto"), None) is None:
        raise AnswerError(f"proto_bundle {str(bundle)!r} holds no .proto files")
    return bundle.resolve()


def make_plan(answers: dict[str, Any], *, catalog_dir: Path, output_dir: Path) -> dict[str, Any]:
    """Check every answer against the index; return what the project must implement."""
    index = load_index(catalog_dir)
    types = {entry["slug"]: entry for entry in index["types"]}
    type_slug = answers["integration_type"]
    if type_slug not in types:
        raise AnswerError(f"integration_type {type_slug!r} is not one of {', '.join(types)}")
    integration_type = types[type_slug]

    check_vendor_name(answers["vendor_name"])
    check_slug(answers["integration_slug"])
    check_package_name(answers["package_name"])
    check_bundle_identifier(answers["bundle_identifier"])
    bundle_dir = resolve_bundle_dir(
        answers["proto_bundle"], catalog_dir=catalog_dir, output_dir=output_dir
    )

    services = [
        {"name": service["name"], "role": "vendor"}
        for service in integration_type["services"]
        if not service.get("optional")
    ]
    choice_key = integration_type.get("choice_key")
    if choice_key:
        optional = [service for service in integration_type["services"] if service.get("optional")]
        allowed = [service["choice"] for service in optional]
        chosen = parse_choice_list(
            str(answers.get(choice_key, "all")), allowed, question=choice_key
        )
        chosen = allowed if chosen is None else chosen
        services += [
            {"name": s["name"], "role": "vendor"} for s in optional if s["choice"] in chosen
        ]
        if not services:
            raise AnswerError(f"{choice_key}: choose at least one of {', '.join(allowed)}")

    event_keys = [event["key"] for event in index["events"]]
    events = parse_choice_list(
        answers["event_subscriptions"], event_keys, question="event_subscriptions"
    )
    events = list(integration_type.get("default_events", [])) if events is None else events

    for platform in index["platform_services"]:
        if platform["when"] == "always" or (platform["when"] == "events" and events):
            services.append({"name": platform["name"], "role": platform["role"]})

    return {
        "integration_type": type_slug,
        "vendor_name": answers["vendor_name"],
        "bundle_identifier": answers["bundle_identifier"],
        "bundle_dir": str(bundle_dir),
        "seed_samples_dir": str(catalog_dir / "samples"),
        "services": services,
        "event_subscriptions": events,
    }
