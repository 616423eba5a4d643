"""The vendor's API client under a stable name, for the rest of the package."""

# Exploded on purpose: the line must stay valid for any vendor name's length.
from .{{ cookiecutter.__vendor_module }} import (
    {{ cookiecutter.__vendor_class }} as VendorClient,
)

__all__ = ["VendorClient"]
