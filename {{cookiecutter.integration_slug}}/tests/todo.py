"""The ``todo`` marker of the to-do tests in ``tests/rpcs/``."""

from __future__ import annotations

import grpc
import pytest

from {{ cookiecutter.package_name }}.stub_status import is_unfilled


def todo(service: str, method: str, *, event: str | None = None) -> pytest.MarkDecorator:
    """Expected failure (strict, UNIMPLEMENTED only) while the handler is a stub.

    Once the handler is filled in, the marker does nothing and the test must pass.
    """
    label = f"{service.rsplit('.', 1)[-1]}.{method}" + (f" ({event})" if event else "")
    return pytest.mark.xfail(
        is_unfilled(service, method, event),
        reason=f"to do: {label} is still a stub",
        raises=grpc.aio.AioRpcError,
        strict=True,
    )
