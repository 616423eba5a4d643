"""Settings: a flag wins over its environment variable, which wins over the default."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.server import server_options
from {{ cookiecutter.package_name }}.settings import (
    SETTINGS,
    Settings,
    SettingsError,
    add_arguments,
    from_sources,
)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_flag_beats_environment_beats_default() -> None:
    environ = {"INTEGRATION_INSECURE": "on", "INTEGRATION_PORT": "6000", "INTEGRATION_WORKERS": "3"}
    settings = from_sources(parse("--port", "7000"), environ)
    assert settings.port == 7000  # flag
    assert settings.workers == 3  # environment
    assert settings.insecure is True
    assert settings.grace_period == Settings().grace_period  # default


def test_every_setting_has_an_environment_variable_and_secrets_no_flag() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    serve_help = parser.format_help()
    for setting in SETTINGS:
        assert setting.env == "INTEGRATION_" + setting.name.upper()
        assert (setting.option in serve_help) == setting.flag, setting.name
    assert not next(setting for setting in SETTINGS if setting.name == "preshared_key").flag


def test_the_shared_key_comes_from_the_environment_only() -> None:
    environ = {"INTEGRATION_INSECURE": "1", "INTEGRATION_PRESHARED_KEY": "from-env-4d1e"}
    assert from_sources(parse(), environ).preshared_key == "from-env-4d1e"
    with pytest.raises(SystemExit):
        parse("--preshared-key", "on-the-command-line")  # would show in `ps`


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({"INTEGRATION_INSECURE": "maybe"}, "INTEGRATION_INSECURE"),
        ({"INTEGRATION_INSECURE": "1", "INTEGRATION_PORT": "http"}, "INTEGRATION_PORT"),
        ({"INTEGRATION_INSECURE": "1", "INTEGRATION_PORT": "70000"}, "--port"),
        ({"INTEGRATION_INSECURE": "1", "INTEGRATION_WORKERS": "0"}, "--workers"),
        ({"INTEGRATION_INSECURE": "1", "INTEGRATION_LOG_FORMAT": "xml"}, "--log-format"),
        ({"INTEGRATION_INSECURE": "1", "INTEGRATION_MAX_MESSAGE_BYTES": "10"}, "--max-message"),
        ({"INTEGRATION_INSECURE": "1", "INTEGRATION_GRACE_PERIOD": "-1"}, "--grace-period"),
        ({"INTEGRATION_INSECURE": "1", "INTEGRATION_VENDOR_TIMEOUT": "0"}, "--vendor-timeout"),
        (
            {"INTEGRATION_INSECURE": "1", "INTEGRATION_METRICS_PORT": "50051"},
            "--metrics-port",
        ),
        ({}, "--tls-cert"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(
    environ: dict[str, str], complaint: str
) -> None:
    with pytest.raises(SettingsError, match=complaint):
        from_sources(parse(), environ)


def test_serve_refuses_bad_settings_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in [name for name in os.environ if name.startswith("INTEGRATION_")]:
        monkeypatch.delenv(name)
    assert main(["serve", "--tls-cert", str(tmp_path / "none.pem"), "--tls-key", "x"]) == 2
    assert "--tls-cert" in capsys.readouterr().err


def test_limits_and_connection_hygiene_reach_the_server() -> None:
    settings = Settings(
        insecure=True, max_message_bytes=2048, max_connection_age=60.0, keepalive_time=30.0
    )
    options = dict(server_options(settings))
    assert options["grpc.max_receive_message_length"] == 2048
    assert options["grpc.max_send_message_length"] == 2048
    assert options["grpc.max_connection_age_ms"] == 60_000
    assert options["grpc.keepalive_time_ms"] == 30_000
    assert options["grpc.so_reuseport"] == 0  # one process owns its port...
    assert dict(server_options(Settings(insecure=True, workers=2)))["grpc.so_reuseport"] == 1
    assert "grpc.max_connection_age_ms" not in dict(
        server_options(Settings(insecure=True, max_connection_age=0.0))
    )
