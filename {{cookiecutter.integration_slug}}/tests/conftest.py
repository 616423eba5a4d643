"""Shared fixtures: the integration running in-process, and captured log lines."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from {{ cookiecutter.package_name }}.structured_logging import (
    JsonFormatter,
)
from {{ cookiecutter.package_name }}.testing import (
    TEST_SECRETS,
    Harness,
)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    """The integration serving on a free local port (plaintext), and a channel to it."""
    async with Harness() as running:
        yield running


@pytest.fixture(autouse=True)
def log_lines() -> Iterator[io.StringIO]:
    """Every log line a test causes, formatted exactly as the service writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)
    # Whatever a test did, no secret of the test tenant may reach the logs.
    for secret in TEST_SECRETS.values():
        assert secret not in stream.getvalue(), "a tenant secret was written to the log"
