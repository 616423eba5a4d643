"""``tenant.example.json``: a configuration as Accedo One sends it, from ``parameters.py``.

``call`` sends ``tenant.json`` (git-ignored: it holds your real test secrets), which
is created from the example when missing. Secrets are placeholders.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..parameters import PARAMETERS
from ..tenant_config import Kind, Parameter, Secret

EXAMPLE = "tenant.example.json"
LOCAL = "tenant.json"


def placeholder(parameter: Parameter) -> dict[str, Any]:
    value: dict[str, Any] = {"isOverridden": False}
    default = parameter.default
    if parameter.kind is Kind.SECURE_STRING:
        secret = (
            default.reveal()
            if isinstance(default, Secret)
            else f"replace-with-your-{parameter.key}"
        )
        value["secureString"] = {"decrypted": secret, "encrypted": ""}
    elif parameter.kind is Kind.STRING_LIST:
        value["stringListValue"] = {"values": list(default) if isinstance(default, tuple) else []}
    elif parameter.kind is Kind.STRING:
        value["stringValue"] = (
            default
            if isinstance(default, str)
            else (parameter.choices[0] if parameter.choices else f"example-{parameter.key}")
        )
    elif parameter.kind is Kind.BOOL:
        value["boolValue"] = bool(default)
    else:
        value["numberValue"] = default if isinstance(default, float) else 0.0
    return value


def tenant_document(bundle_identifier: str) -> dict[str, Any]:
    return {
        "bundleIdentifier": bundle_identifier,
        "values": {parameter.key: placeholder(parameter) for parameter in PARAMETERS},
    }


def write_tenant_files(root: Path, bundle_identifier: str) -> list[str]:
    written = []
    text = json.dumps(tenant_document(bundle_identifier), ensure_ascii=False, indent=2) + "\n"
    for name in (EXAMPLE, LOCAL):
        path = root / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(name)
    return [f"wrote {', '.join(written)}"] if written else []
