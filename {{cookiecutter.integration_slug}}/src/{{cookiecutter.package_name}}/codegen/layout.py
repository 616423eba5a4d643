"""Where things are in the generated project."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTRACT_FILE = "integration.json"


@dataclass(frozen=True)
class Layout:
    root: Path
    package: str

    @classmethod
    def of_this_project(cls) -> Layout:
        package_dir = Path(__file__).resolve().parent.parent
        return cls(root=package_dir.parent.parent, package=package_dir.name)

    @property
    def proto_dir(self) -> Path:
        return self.root / "proto"

    @property
    def package_dir(self) -> Path:
        return self.root / "src" / self.package

    @property
    def generated_dir(self) -> Path:
        return self.package_dir / "generated"

    @property
    def handlers_dir(self) -> Path:
        return self.package_dir / "handlers"

    @property
    def samples_dir(self) -> Path:
        return self.package_dir / "samples"

    @property
    def rpc_tests_dir(self) -> Path:
        return self.root / "tests" / "rpcs"

    @property
    def contract_path(self) -> Path:
        return self.root / CONTRACT_FILE

    def read_contract(self) -> dict[str, Any]:
        if not self.contract_path.is_file():
            raise CodegenError(
                f"{self.contract_path} not found: run codegen from the project's source"
                " checkout (an installed copy of the package cannot regenerate itself)"
            )
        try:
            with self.contract_path.open(encoding="utf-8") as contract_file:
                contract: dict[str, Any] = json.load(contract_file)
        except ValueError as error:
            raise CodegenError(f"{self.contract_path.name} is not valid JSON: {error}") from None
        return contract

    def write_contract(self, contract: dict[str, Any]) -> None:
        text = json.dumps(contract, ensure_ascii=False, indent=2) + "\n"
        self.contract_path.write_text(text, encoding="utf-8")


class CodegenError(Exception):
    """A problem the user must fix; printed as one line, without a traceback."""
