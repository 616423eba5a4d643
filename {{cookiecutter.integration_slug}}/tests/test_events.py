"""OnEvent dispatches each subscribed event key to its function in handlers/events.py."""

from __future__ import annotations

import copy
from typing import Any

import grpc
import pytest

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.generated import (
    contract,
)
from {{ cookiecutter.package_name }}.handlers import platform
from {{ cookiecutter.package_name }}.rpc_caller import (
    load_sample,
)
from {{ cookiecutter.package_name }}.testing import Harness


def event_rpcs() -> list[contracts.Rpc]:
    return [rpc for rpc in contracts.rpcs() if rpc.name == "OnEvent"]


def test_event_service_is_served_exactly_when_events_are_subscribed() -> None:
    assert bool(event_rpcs()) == bool(contract.EVENT_SUBSCRIPTIONS)


async def test_each_event_reaches_its_handler(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[str, Any]] = []
    for key in contract.EVENT_SUBSCRIPTIONS:

        async def record(event: Any, details: Any, context: Any, key: str = key) -> None:
            received.append((key, context.tenant.bundle_identifier))

        monkeypatch.setitem(platform.EVENT_HANDLERS, key, record)
    for rpc in event_rpcs():
        for key in contract.EVENT_SUBSCRIPTIONS:
            await harness.call(rpc.path, copy.deepcopy(load_sample(rpc, key)))
    assert received == [(key, contract.BUNDLE_IDENTIFIER) for key in contract.EVENT_SUBSCRIPTIONS]


async def test_an_unsubscribed_event_is_refused(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    for rpc in event_rpcs():
        for key in contract.EVENT_SUBSCRIPTIONS:
            monkeypatch.setattr(contract, "EVENT_SUBSCRIPTIONS", ())
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await harness.call(rpc.path, copy.deepcopy(load_sample(rpc, key)))
            assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert key in (raised.value.details() or "")
