"""``python -m tests.gated_server serve ...``: the real service, one RPC held at a gate.

The shutdown tests need a call that is still in flight when SIGTERM reaches a real
``serve`` process, and that finishes when the test says so. A test cannot monkeypatch a
handler in another process, so this entry point does it in the child and then runs the
ordinary command line: ``GetManifest`` logs "waiting at the gate", then answers as usual
once a line arrives on the process's standard input. Nothing in the service knows of it.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from google.protobuf.message import Message

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.call_context import CallContext
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.handlers import HANDLERS
from {{ cookiecutter.package_name }}.handlers.base import (
    ServiceHandler,
)

GATED_RPC = "IntegrationService.GetManifest"
WAITING = "waiting at the gate"
logger = logging.getLogger(__name__)


def hold_at_gate() -> None:
    """Make ``GATED_RPC`` wait for a line on standard input before it answers."""
    rpc = contracts.find_rpc(GATED_RPC)
    handler_class = HANDLERS[rpc.service]
    answer = getattr(handler_class, rpc.name)

    async def gated(self: ServiceHandler, request: Message, context: CallContext) -> Message:
        logger.info(WAITING)
        await asyncio.to_thread(sys.stdin.readline)
        response: Message = await answer(self, request, context)
        return response

    setattr(handler_class, rpc.name, gated)


if __name__ == "__main__":
    hold_at_gate()
    sys.exit(main())
