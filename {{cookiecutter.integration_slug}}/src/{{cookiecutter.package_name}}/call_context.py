"""What a handler knows about the call it serves, besides the request itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc

from .tenant_config import TenantConfig

# Time kept back from the caller's deadline so an answer can still reach it.
DEADLINE_MARGIN_SECONDS = 0.05


@dataclass
class CallContext:
    """Passed to every handler method as ``context``.

    ``tenant`` is the calling customer's parsed configuration; ``grpc`` is the raw
    ``grpc.aio.ServicerContext`` (metadata, peer, ...), rarely needed.
    """

    method: str
    request_id: str
    grpc: grpc.aio.ServicerContext[Any, Any]
    tenant: TenantConfig = field(default_factory=lambda: TenantConfig("", {}))

    def time_remaining(self) -> float | None:
        """Seconds left before the caller's deadline, or ``None`` without a deadline."""
        remaining = self.grpc.time_remaining()
        return None if remaining is None else max(0.0, remaining)

    def vendor_timeout(self, default: float) -> float:
        """Timeout for a vendor call: ``default``, cut to fit within the caller's deadline."""
        remaining = self.time_remaining()
        if remaining is None:
            return default
        return max(0.0, min(default, remaining - DEADLINE_MARGIN_SECONDS))
