"""Client of the vendor's API: every call to the vendor goes through here (yours to fill).

One ``httpx.AsyncClient`` is shared by all calls (connection pooling); each request
takes the calling tenant's base URL and credentials from its configuration, and a
timeout cut to the caller's deadline. HTTP failures become the exceptions of
``errors``, so the caller gets a meaningful gRPC status:

* 404 → ``NotFoundError`` (NOT_FOUND); 401/403 → ``PermissionDeniedError``;
* timeouts → ``VendorTimeoutError`` (DEADLINE_EXCEEDED);
* 5xx, 429, connection errors → ``VendorUnavailableError`` (UNAVAILABLE).
"""

from __future__ import annotations

from typing import Any

import httpx

from .call_context import CallContext
from .errors import NotFoundError, PermissionDeniedError, VendorTimeoutError, VendorUnavailableError


class {{ cookiecutter.__vendor_class }}:
    """Async client of the vendor's HTTP API, shared by every call."""

    def __init__(
        self, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            headers={"user-agent": "accedo-one-integration"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request_json(
        self,
        context: CallContext,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Call the vendor for the calling tenant and return the decoded JSON body.

        The base URL and API key come from the tenant's configuration
        (``api-base-url``, ``api-key``); adapt the authentication header to the vendor.
        """
        tenant = context.tenant
        url = tenant.string("api-base-url").rstrip("/") + "/" + path.lstrip("/")
        headers = {"authorization": f"Bearer {tenant.secret('api-key').reveal()}"}
        try:
            response = await self._http.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=context.vendor_timeout(self.timeout),
            )
        except httpx.TimeoutException as error:
            raise VendorTimeoutError(
                f"the vendor did not answer {method} {path} in time"
            ) from error
        except httpx.TransportError as error:
            raise VendorUnavailableError(f"cannot reach the vendor for {method} {path}") from error
        if response.status_code == 404:
            raise NotFoundError(f"the vendor has no {path}")
        if response.status_code in (401, 403):
            raise PermissionDeniedError(
                f"the vendor refused {method} {path} ({response.status_code})"
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise VendorUnavailableError(
                f"the vendor failed {method} {path} ({response.status_code})"
            )
        response.raise_for_status()
        return response.json()
