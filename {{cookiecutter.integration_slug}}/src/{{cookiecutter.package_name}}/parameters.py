"""The configuration parameters this integration declares (yours to edit).

Each Accedo One customer fills these in when they enable the integration, and
Accedo One sends them with every call. Declare each parameter once here: the
manifest announces them, every request's configuration is checked against them
(unknown keys, wrong kinds and missing required values answer ``INVALID_ARGUMENT``),
and the sample ``tenant.json`` is written from them.
"""

from __future__ import annotations

from .tenant_config import Kind, Parameter

PRESHARED_KEY = "preshared-key"

PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        PRESHARED_KEY,
        Kind.SECURE_STRING,
        "Shared secret Accedo One sends with every call; checked when the service runs with"
        " INTEGRATION_PRESHARED_KEY set.",
        display_name="Pre-shared key",
    ),
    Parameter(
        "api-base-url",
        Kind.STRING,
        "Base URL of the vendor's API for this customer.",
        default="https://api.example.com",
        display_name="API base URL",
    ),
    Parameter(
        "api-key",
        Kind.SECURE_STRING,
        "API key the integration uses to call the vendor for this customer.",
        required=True,
        display_name="API key",
    ),
    Parameter(
        "environment",
        Kind.STRING,
        "Which vendor environment to use: staging or production.",
        default="production",
        display_name="Environment",
        choices=("staging", "production"),
    ),
)
