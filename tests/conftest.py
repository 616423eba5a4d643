"""Shared options and fixtures of the template's test suite.

Tiers: by default the fast tier runs (one bake per integration type with every check, the
hostile answers, the unit tests); ``--full`` adds every test marked ``full`` (every
combination of the prompts' choices, the full checks of hostile bakes, a real
``pip install`` in a fresh virtualenv). ``python3 tasks.py test`` passes ``--full``.
"""

from __future__ import annotations

import pytest
from baking import Baker, write_cookiecutter_config


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--full", action="store_true", help="run the full matrix (every option baked)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--full"):
        return
    deselected = [item for item in items if item.get_closest_marker("full")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("full")]


@pytest.fixture(scope="session")
def full_tier(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--full"))


@pytest.fixture(scope="session")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory):
    """A Cookiecutter config of our own: no replay files in ``~``, no user default_context."""
    return write_cookiecutter_config(tmp_path_factory.mktemp("cookiecutter-home"))


@pytest.fixture(scope="session")
def baker(tmp_path_factory: pytest.TempPathFactory, cookiecutter_config) -> Baker:
    """Bakes the template; each distinct set of answers once per session (and xdist worker).

    ``baker.bake(integration_type="drm")`` returns the project directory; tests must not
    change a cached bake (use ``baker.bake_fresh`` for that).
    """
    return Baker(base=tmp_path_factory.mktemp("bakes"), config_file=cookiecutter_config)
