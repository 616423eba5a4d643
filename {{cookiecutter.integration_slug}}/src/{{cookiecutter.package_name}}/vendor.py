"""The vendor's API client under a stable name, for the rest of the package."""

from .{{ cookiecutter.__vendor_module }} import {{ cookiecutter.__vendor_class }} as VendorClient

__all__ = ["VendorClient"]
