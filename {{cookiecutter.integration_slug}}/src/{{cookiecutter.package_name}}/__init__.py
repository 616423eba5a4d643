"""Accedo One {{ cookiecutter.integration_type }} integration, a gRPC service."""

__version__ = "0.1.0"
