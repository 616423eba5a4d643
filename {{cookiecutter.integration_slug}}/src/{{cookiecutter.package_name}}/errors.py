"""Exceptions a handler raises to answer with a specific gRPC status.

The call pipeline maps each to its status code; any other exception becomes
``INTERNAL`` with a generic message (the traceback goes to the log only).
Messages are sent to the caller: say what is wrong, never include a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # at run time grpc is imported on first use: codegen imports this
    import grpc  # module (through parameters.py) and must not pay for grpc's import


class IntegrationError(Exception):
    """Base class: an error whose message is safe to send to the caller."""

    status_name: ClassVar[str] = "INTERNAL"  # a ``grpc.StatusCode`` name

    @property
    def status(self) -> grpc.StatusCode:
        """The gRPC status the call is answered with."""
        import grpc

        return grpc.StatusCode[self.status_name]


class InvalidRequestError(IntegrationError):
    """The request (or its tenant configuration) is malformed or incomplete."""

    status_name = "INVALID_ARGUMENT"


class ConfigurationError(InvalidRequestError):
    """The tenant configuration sent with the call does not fit the declared parameters."""


class AuthenticationError(IntegrationError):
    """The caller did not prove it is Accedo One (wrong or missing shared secret)."""

    status_name = "UNAUTHENTICATED"


class NotFoundError(IntegrationError):
    """The vendor does not know the user, object or purchase the request names."""

    status_name = "NOT_FOUND"


class PermissionDeniedError(IntegrationError):
    """The vendor refused the operation for this user or tenant."""

    status_name = "PERMISSION_DENIED"


class VendorTimeoutError(IntegrationError):
    """The vendor did not answer within the caller's deadline."""

    status_name = "DEADLINE_EXCEEDED"


class VendorUnavailableError(IntegrationError):
    """The vendor's service failed or could not be reached; Accedo One may retry."""

    status_name = "UNAVAILABLE"
