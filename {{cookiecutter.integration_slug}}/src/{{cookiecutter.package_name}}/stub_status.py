"""Which RPCs and event handlers are still stubs (``todo`` and the to-do tests).

A stub is a function whose body, after its docstring, is only
``raise NotImplementedError``; anything else counts as filled in.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from . import contracts
from .generated import contract
from .handlers import HANDLERS
from .handlers.platform import EVENT_HANDLERS, EventDispatchHandler, ManifestHandler


def is_stub(function: Callable[..., Any] | None) -> bool:
    if function is None:
        return True  # no method at all: the server answers UNIMPLEMENTED
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return False
    node = ast.parse(source).body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def _event_handlers() -> dict[str, Callable[..., Any]]:
    import importlib

    importlib.import_module(f"{__package__}.handlers.events")
    return dict(EVENT_HANDLERS)


def is_unfilled(service: str, method: str, event: str | None = None) -> bool:
    handler_class = HANDLERS[service]
    if event is not None:
        return is_stub(_event_handlers().get(event))
    if issubclass(handler_class, ManifestHandler) and method == "GetManifest":
        return False
    if issubclass(handler_class, EventDispatchHandler) and method == "OnEvent":
        return any(is_stub(_event_handlers().get(key)) for key in contract.EVENT_SUBSCRIPTIONS)
    return is_stub(getattr(handler_class, method, None))


def unfilled() -> list[str]:
    """Labels of everything left to implement, in contract order."""
    left = []
    for rpc in contracts.rpcs():
        handler_class = HANDLERS[rpc.service]
        if issubclass(handler_class, EventDispatchHandler) and rpc.name == "OnEvent":
            left += [
                f"event {key}"
                for key in contract.EVENT_SUBSCRIPTIONS
                if is_unfilled(rpc.service, "", key)
            ]
        elif is_unfilled(rpc.service, rpc.name):
            left.append(f"{rpc.label} ({rpc.kind})")
    return left
