"""The ``todo`` marker of the to-do tests in ``tests/rpcs/``."""

from __future__ import annotations

import warnings

import grpc
import pytest

from {{ cookiecutter.package_name }}.stub_status import (
    is_unfilled,
)


class TodoDone(UserWarning):
    """A ``@todo`` marker on the test of a handler that is filled in: remove the marker."""


def todo(service: str, method: str, *, event: str | None = None) -> pytest.MarkDecorator:
    """Expected failure (strict: the call must fail) while the handler is a stub.

    Once the handler is filled in, the marker does nothing but warn (in the test
    summary) that it can go, and the test must pass.
    """
    label = f"{service.rsplit('.', 1)[-1]}.{method}" + (f" ({event})" if event else "")
    unfilled = is_unfilled(service, method, event)
    if not unfilled:
        warnings.warn(TodoDone(f"{label} is filled in: remove its @todo marker"), stacklevel=2)
    return pytest.mark.xfail(
        unfilled,
        reason=f"to do: {label} is still a stub",
        raises=grpc.aio.AioRpcError,
        strict=True,
    )
