"""``generated/contract.py``: what ``integration.json`` says, as Python constants."""

from __future__ import annotations

from typing import Any

from .pysource import string_literal


def contract_source(contract: dict[str, Any], modules: list[str]) -> str:
    def strings(values: list[str]) -> str:
        return "".join(f"    {string_literal(value)},\n" for value in values)

    services = "".join(
        f"    ({string_literal(s['name'])}, {string_literal(s['role'])}),\n"
        for s in contract["services"]
    )
    return (
        '"""What this integration serves, from ``integration.json``.\n\n'
        'Written by codegen; do not edit (run regen)."""\n'
        "\n"
        f"VENDOR_NAME = {string_literal(contract['vendor_name'])}\n"
        f"INTEGRATION_TYPE = {string_literal(contract['integration_type'])}\n"
        f"BUNDLE_IDENTIFIER = {string_literal(contract['bundle_identifier'])}\n"
        f"SERVICES: tuple[tuple[str, str], ...] = (\n{services})\n"
        f"EVENT_SUBSCRIPTIONS: tuple[str, ...] = (\n{strings(contract['event_subscriptions'])})\n"
        f"PB2_MODULES: tuple[str, ...] = (\n{strings(modules)})\n"
    )
