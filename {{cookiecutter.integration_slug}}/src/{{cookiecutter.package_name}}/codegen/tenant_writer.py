"""``tenant.example.json``: a configuration as Accedo One sends it, from ``parameters.py``.

``call`` sends ``tenant.json`` (git-ignored: it holds your real test secrets), which
is created from the example when missing and never rewritten. The example is
committed and holds placeholders only; ``regen`` rewrites it when ``parameters.py``
changed, and says when ``tenant.json`` no longer has the declared keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..parameters import PARAMETERS
from ..tenant_config import Kind, Parameter

EXAMPLE = "tenant.example.json"
LOCAL = "tenant.json"


def placeholder(parameter: Parameter) -> dict[str, Any]:
    """One configuration value in its JSON form; a secret is always a placeholder."""
    value: dict[str, Any] = {"isOverridden": False}
    default = parameter.default
    if parameter.kind is Kind.SECURE_STRING:
        value["secureString"] = {"decrypted": f"replace-with-your-{parameter.key}", "encrypted": ""}
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
        value["numberValue"] = float(default) if isinstance(default, (int, float)) else 0.0
    return value


def tenant_document(bundle_identifier: str) -> dict[str, Any]:
    return {
        "bundleIdentifier": bundle_identifier,
        "values": {parameter.key: placeholder(parameter) for parameter in PARAMETERS},
    }


def write_tenant_files(root: Path, bundle_identifier: str) -> list[str]:
    text = json.dumps(tenant_document(bundle_identifier), ensure_ascii=False, indent=2) + "\n"
    messages = []
    example = root / EXAMPLE
    if not example.exists() or example.read_text(encoding="utf-8") != text:
        messages.append(f"{'wrote' if not example.exists() else 'updated'} {EXAMPLE}")
        example.write_text(text, encoding="utf-8")
    local = root / LOCAL
    if not local.exists():
        local.write_text(text, encoding="utf-8")
        messages.append(f"wrote {LOCAL} (git-ignored: put your test secrets there)")
    else:
        declared = {parameter.key for parameter in PARAMETERS}
        try:
            keys = set(json.loads(local.read_text(encoding="utf-8")).get("values", {}))
        except (ValueError, AttributeError):
            keys = None
        if keys is None:
            messages.append(f"warning: {LOCAL} is not a JSON configuration; see {EXAMPLE}")
        elif keys - declared or {p.key for p in PARAMETERS if p.required} - keys:
            messages.append(
                f"warning: {LOCAL} does not match parameters.py (compare with {EXAMPLE})"
            )
    return messages
