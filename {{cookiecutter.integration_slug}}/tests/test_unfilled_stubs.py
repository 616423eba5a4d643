"""An unfilled stub answers UNIMPLEMENTED, naming the RPC; never an empty success.

(An empty, successfully completed ``Sync`` stream would promote an empty catalog.)
Only RPCs that are still stubs are called, so filling one never breaks this test.
"""

from __future__ import annotations

import copy

import grpc
import pytest

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.rpc_caller import (
    load_sample,
)
from {{ cookiecutter.package_name }}.stub_status import (
    is_stub,
    is_unfilled,
)
from {{ cookiecutter.package_name }}.testing import Harness


async def test_unfilled_stubs_answer_unimplemented(harness: Harness) -> None:
    for rpc in contracts.rpcs():
        if rpc.name == "OnEvent" or not is_unfilled(rpc.service, rpc.name):
            continue
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await harness.call(rpc.path, copy.deepcopy(load_sample(rpc)))
        assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED, rpc.label
        assert rpc.name in (raised.value.details() or ""), rpc.label


def test_stub_detection_sees_a_filled_method() -> None:
    def stub() -> None:
        """Docstring."""
        raise NotImplementedError

    def filled() -> int:
        return 1

    assert is_stub(stub)
    assert not is_stub(filled)
