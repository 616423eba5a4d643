"""Shared options and fixtures of the template's test suite.

Tiers: by default the fast tier runs (one bake per integration type with every check, the
hostile answers, the unit tests); ``--full`` adds every test marked ``full`` (every
combination of the prompts' choices, the full checks of hostile bakes, a real
``pip install`` in a fresh virtualenv). ``python3 tasks.py test`` passes ``--full``.
"""

from __future__ import annotations

import os

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


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Workers for ``-n auto``: twice the CPUs, at most 8.

    A worker spends most of its time waiting on subprocesses (bakes, and the baked
    projects' own test suites, which start servers and wait on signals and deadlines),
    so two per CPU keep the CPUs busy; on CI's 2 cores that is 4 workers.
    """
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


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
