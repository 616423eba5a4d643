"""The project stays consistent: generated code, dependency floors, documented settings."""

from __future__ import annotations

import re
from pathlib import Path

from {{ cookiecutter.package_name }}.codegen.generate import (
    check,
)
from {{ cookiecutter.package_name }}.codegen.layout import (
    Layout,
)
from {{ cookiecutter.package_name }}.codegen.version_floors import (
    generated_versions,
)
from {{ cookiecutter.package_name }}.settings import (
    markdown_table,
)

ROOT = Path(__file__).resolve().parent.parent


def test_generated_code_is_up_to_date() -> None:
    assert check(Layout.of_this_project()) == []


def test_dependency_floors_match_the_generated_code() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    needs = generated_versions(Layout.of_this_project().generated_dir)
    assert set(needs) >= {"protobuf", "grpcio"}
    for package, version in needs.items():
        match = re.search(rf'"{re.escape(package)}>=([\d.]+)"', pyproject)
        assert match, f"{package} has no floor in pyproject.toml"
        floor = tuple(int(part) for part in match.group(1).split("."))
        assert floor >= tuple(int(part) for part in version.split(".")), package


def test_readme_documents_every_setting() -> None:
    assert markdown_table() in (ROOT / "README.md").read_text(encoding="utf-8")
