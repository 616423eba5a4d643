"""Keep the ``grpcio*``/``protobuf`` floors in ``pyproject.toml`` at what the code needs.

The ``_pb2`` modules refuse an older protobuf runtime than the one they were
generated for, and ``_pb2_grpc`` modules an older grpcio; so the floors follow the
grpcio-tools that generated them. Floors are only ever raised.
"""

from __future__ import annotations

import re
from pathlib import Path

_PROTOBUF = re.compile(r"^# Protobuf Python Version: (\d+(?:\.\d+)*)", re.MULTILINE)
_GRPC = re.compile(r"^GRPC_GENERATED_VERSION = '(\d+(?:\.\d+)*)'", re.MULTILINE)
GRPC_PACKAGES = ("grpcio", "grpcio-tools", "grpcio-health-checking", "grpcio-reflection")


def generated_versions(generated_dir: Path) -> dict[str, str]:
    """The versions the generated modules check for, by distribution name."""
    needs: dict[str, str] = {}
    for path in generated_dir.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern, packages in ((_PROTOBUF, ("protobuf",)), (_GRPC, GRPC_PACKAGES)):
            match = pattern.search(text)
            if match:
                for package in packages:
                    if _key(match.group(1)) > _key(needs.get(package, "0")):
                        needs[package] = match.group(1)
    return needs


def raise_floors(pyproject: Path, needs: dict[str, str]) -> list[str]:
    text = pyproject.read_text(encoding="utf-8")
    changed = []
    for package, version in needs.items():
        pattern = re.compile(rf'"{re.escape(package)}>=([\d.]+)"')
        match = pattern.search(text)
        if match and _key(match.group(1)) < _key(version):
            text = pattern.sub(f'"{package}>={version}"', text, count=1)
            changed.append(f"{package}>={version}")
    if changed:
        pyproject.write_text(text, encoding="utf-8")
        return [
            f"raised floors in pyproject.toml to match the generated code: {', '.join(changed)}"
        ]
    return []


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
