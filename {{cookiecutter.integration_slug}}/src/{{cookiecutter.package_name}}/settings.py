"""Service settings: each one a command-line flag and an environment variable.

The table below is the single definition: ``serve --help``, the parser and the
README's settings table all come from it (a test keeps the README in step).
A flag wins over its environment variable, which wins over the default.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    flag: bool = True  # False: environment only (secrets must not show in `ps`)

    @property
    def env(self) -> str:
        return "INTEGRATION_" + self.name.upper()

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


def _setting(default: Any, help: str, *, flag: bool = True) -> Any:
    return field(default=default, metadata={"help": help, "flag": flag})


@dataclass(frozen=True)
class Settings:
    """Every setting of the service, with its default and meaning."""

    host: str = _setting("0.0.0.0", "Address to listen on.")  # noqa: S104 - a service listens on all
    port: int = _setting(50051, "gRPC port (0: pick a free one and log it).")
    insecure: bool = _setting(False, "Serve plaintext instead of TLS (local development only).")
    tls_cert: str = _setting("", "PEM certificate chain of the server.")
    tls_key: str = _setting("", "PEM private key of the server.")
    tls_client_ca: str = _setting(
        "", "PEM CA bundle: clients must present a certificate it signed."
    )
    preshared_key: str = _setting(
        "", "Shared secret every call's configuration must carry in 'preshared-key'.", flag=False
    )
    workers: int = _setting(1, "Processes serving the same port (SO_REUSEPORT).")
    metrics_port: int = _setting(0, "Port of the Prometheus metrics endpoint (0: off).")
    health_port: int = _setting(
        0, "Plaintext port serving only gRPC health checks, for probes (0: off)."
    )
    log_format: str = _setting("json", "Log format: json or text.")
    log_level: str = _setting("info", "Log level: debug, info, warning or error.")
    grace_period: float = _setting(20.0, "Seconds in-flight calls get to finish on shutdown.")
    shutdown_delay: float = _setting(
        0.0, "Seconds to keep accepting calls after health turns NOT_SERVING on shutdown."
    )
    max_message_bytes: int = _setting(4 * 1024 * 1024, "Largest request or response, in bytes.")
    max_concurrent_rpcs: int = _setting(
        0, "Calls served at once before new ones are refused (0: no limit)."
    )
    max_connection_age: float = _setting(
        300.0, "Seconds before a client connection is asked to reconnect."
    )
    max_connection_age_grace: float = _setting(
        30.0, "Seconds a connection closing by age gets for its calls."
    )
    keepalive_time: float = _setting(60.0, "Seconds between keepalive pings on an idle connection.")
    keepalive_timeout: float = _setting(20.0, "Seconds to wait for a keepalive ping's answer.")
    vendor_timeout: float = _setting(
        10.0, "Default timeout of a vendor API call (cut to the caller's deadline)."
    )

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        if shown["preshared_key"]:
            shown["preshared_key"] = "********"
        return f"Settings({shown})"


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, f.default, f.metadata["help"], f.metadata["flag"]) for f in fields(Settings)
)


class SettingsError(ValueError):
    """A setting has a value that cannot work; the message names it."""


def _parse_bool(text: str, env: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{env}={text!r} is not a boolean (use true or false)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per setting; defaults are applied later, so the environment can fill in."""
    for setting in SETTINGS:
        if not setting.flag:
            continue
        if isinstance(setting.default, bool):
            parser.add_argument(
                setting.option, action="store_true", default=None, help=setting.help
            )
        else:
            kind = type(setting.default)
            parser.add_argument(
                setting.option,
                type=kind,
                default=None,
                metavar=setting.name.upper(),
                help=f"{setting.help} [env {setting.env}, default {setting.default!r}]",
            )


def from_sources(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Settings:
    """Flags, then environment variables, then defaults; validated together."""
    settings = _collect(args, environ)
    validate(settings)
    return settings


def environment_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings the environment gives (no flags), unvalidated: for helper commands."""
    return _collect(argparse.Namespace(), os.environ if environ is None else environ)


def _collect(args: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        flag_value = getattr(args, setting.name, None) if setting.flag else None
        if flag_value is not None:
            values[setting.name] = flag_value
        elif setting.env in environ:
            raw = environ[setting.env]
            if isinstance(setting.default, bool):
                values[setting.name] = _parse_bool(raw, setting.env)
            else:
                try:
                    values[setting.name] = type(setting.default)(raw)
                except ValueError:
                    raise SettingsError(
                        f"{setting.env}={raw!r} is not a valid {type(setting.default).__name__}"
                    ) from None
    return Settings(**values)


def validate(settings: Settings) -> None:
    """Reject settings that cannot work, naming the setting (never a secret's value)."""
    if not settings.insecure and not (settings.tls_cert and settings.tls_key):
        raise SettingsError(
            "TLS needs --tls-cert and --tls-key (or INTEGRATION_TLS_CERT/INTEGRATION_TLS_KEY);"
            " pass --insecure to serve plaintext for local development"
        )
    if settings.insecure and (settings.tls_cert or settings.tls_key or settings.tls_client_ca):
        raise SettingsError(
            "--insecure serves plaintext: drop --tls-cert, --tls-key and --tls-client-ca"
        )
    for name in ("tls_cert", "tls_key", "tls_client_ca"):
        path = getattr(settings, name)
        if path and not os.path.isfile(path):
            raise SettingsError(f"--{name.replace('_', '-')} {path!r}: no such file")
    ports = {
        "port": settings.port,
        "metrics_port": settings.metrics_port,
        "health_port": settings.health_port,
    }
    for name, port in ports.items():
        if not 0 <= port <= 65535:
            raise SettingsError(f"--{name.replace('_', '-')} must be between 0 and 65535")
    used = [port for port in ports.values() if port]
    if len(used) != len(set(used)):
        raise SettingsError("--port, --metrics-port and --health-port must differ")
    if settings.workers < 1:
        raise SettingsError("--workers must be at least 1")
    if settings.log_format not in ("json", "text"):
        raise SettingsError("--log-format must be json or text")
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("--log-level must be debug, info, warning or error")
    if settings.max_message_bytes < 1024:
        raise SettingsError("--max-message-bytes must be at least 1024")
    if settings.max_concurrent_rpcs < 0:
        raise SettingsError("--max-concurrent-rpcs must be 0 (no limit) or more")
    for name in ("grace_period", "shutdown_delay", "max_connection_age"):
        if getattr(settings, name) < 0:
            raise SettingsError(f"--{name.replace('_', '-')} must not be negative")
    for name in (
        "max_connection_age_grace",
        "keepalive_time",
        "keepalive_timeout",
        "vendor_timeout",
    ):
        if getattr(settings, name) <= 0:
            raise SettingsError(f"--{name.replace('_', '-')} must be more than 0")


def markdown_table(settings: Sequence[Setting] = SETTINGS) -> str:
    """The README's settings table."""
    rows = ["| Flag | Environment variable | Default | Meaning |", "|---|---|---|---|"]
    for setting in settings:
        flag = f"`{setting.option}`" if setting.flag else "(none: secret)"
        default = (
            "off"
            if setting.default is False
            else f"`{setting.default}`"
            if setting.default != ""
            else "(empty)"
        )
        rows.append(f"| {flag} | `{setting.env}` | {default} | {setting.help} |")
    return "\n".join(rows)
