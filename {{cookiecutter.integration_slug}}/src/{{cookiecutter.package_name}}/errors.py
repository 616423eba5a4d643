"""Exceptions a handler raises to answer with a specific gRPC status.

The call pipeline maps each to its status code; any other exception becomes
``INTERNAL`` with a generic message (the traceback goes to the log only).
Messages are sent to the caller: say what is wrong, never include a secret.
"""

from __future__ import annotations

import grpc


class IntegrationError(Exception):
    """Base class: an error whose message is safe to send to the caller."""

    status: grpc.StatusCode = grpc.StatusCode.INTERNAL


class InvalidRequestError(IntegrationError):
    """The request (or its tenant configuration) is malformed or incomplete."""

    status = grpc.StatusCode.INVALID_ARGUMENT


class ConfigurationError(InvalidRequestError):
    """The tenant configuration sent with the call does not fit the declared parameters."""


class AuthenticationError(IntegrationError):
    """The caller did not prove it is Accedo One (wrong or missing shared secret)."""

    status = grpc.StatusCode.UNAUTHENTICATED


class NotFoundError(IntegrationError):
    """The vendor does not know the user, object or purchase the request names."""

    status = grpc.StatusCode.NOT_FOUND


class PermissionDeniedError(IntegrationError):
    """The vendor refused the operation for this user or tenant."""

    status = grpc.StatusCode.PERMISSION_DENIED


class VendorTimeoutError(IntegrationError):
    """The vendor did not answer within the caller's deadline."""

    status = grpc.StatusCode.DEADLINE_EXCEEDED


class VendorUnavailableError(IntegrationError):
    """The vendor's service failed or could not be reached; Accedo One may retry."""

    status = grpc.StatusCode.UNAVAILABLE
