"""Running ``grpc_tools.protoc`` and making its Python output package-relative.

protoc writes absolute imports (``from common import configuration_pb2``) that only
work with the output directory on ``sys.path``. The generated modules live inside
this package instead, so every import of a sibling generated module is rewritten
to a relative one, whatever the proto package layout (protoletariat does the same
job but pins protobuf < 6).
"""

from __future__ import annotations

import importlib.resources
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from google.protobuf import descriptor_pb2

from .layout import CodegenError

_FROM_IMPORT = re.compile(r"^(\s*)from ([\w.]+) import (\w+) as (\w+)$")
_PLAIN_IMPORT = re.compile(r"^(\s*)import (\w+) as (\w+)$")


def well_known_include() -> str:
    """The directory of ``google/protobuf/*.proto`` shipped with grpcio-tools."""
    return str(importlib.resources.files("grpc_tools") / "_proto")


def run_protoc(arguments: Sequence[str]) -> None:
    """Run protoc in-process; its messages become a :class:`CodegenError`."""
    from grpc_tools import protoc

    with tempfile.TemporaryFile(mode="w+b") as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)  # protoc writes to fd 2 from C++
        try:
            status = protoc.main(["protoc", *arguments])
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        messages = captured.read().decode(errors="replace").strip()
    if status != 0:
        lines = [line for line in messages.splitlines() if line.strip()]
        detail = "; ".join(lines[:3]) + (f" (+{len(lines) - 3} more)" if len(lines) > 3 else "")
        raise CodegenError(f"protoc failed: {detail or 'no message'}")


def proto_files(root: Path) -> list[str]:
    """Every ``.proto`` file under ``root``, as protoc names it (relative, '/'-separated)."""
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*.proto"))


def compile_descriptors(root: Path, files: Iterable[str]) -> descriptor_pb2.FileDescriptorSet:
    """Compile ``files`` (with imports and comments) into a descriptor set."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "descriptors.binpb"
        run_protoc(
            [
                f"--proto_path={root}",
                f"--proto_path={well_known_include()}",
                f"--descriptor_set_out={out}",
                "--include_imports",
                "--include_source_info",
                *files,
            ]
        )
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def generate_python(
    root: Path, files: Sequence[str], out_dir: Path
) -> descriptor_pb2.FileDescriptorSet:
    """Write ``_pb2``, ``_pb2_grpc`` and ``.pyi`` modules of ``files`` into ``out_dir``."""
    descriptors = out_dir / "descriptors.binpb"
    run_protoc(
        [
            f"--proto_path={root}",
            f"--proto_path={well_known_include()}",
            f"--python_out={out_dir}",
            f"--pyi_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            f"--descriptor_set_out={descriptors}",
            "--include_imports",
            "--include_source_info",
            *files,
        ]
    )
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes())
    descriptors.unlink()
    return descriptor_set


def module_of(proto_file: str) -> str:
    """The dotted module protoc writes for a ``.proto`` file (``a/b-c.proto`` → ``a.b_c_pb2``)."""
    stem = proto_file[: -len(".proto")] if proto_file.endswith(".proto") else proto_file
    return stem.replace("-", "_").replace("/", ".") + "_pb2"


def make_imports_relative(out_dir: Path, modules: set[str]) -> None:
    """Rewrite imports between generated modules to relative imports; add ``__init__.py``."""
    generated = {*modules, *(module + "_grpc" for module in modules)}
    for path in sorted(out_dir.rglob("*.py*")):
        if path.suffix not in (".py", ".pyi"):
            continue
        module = path.relative_to(out_dir).with_suffix("").as_posix().replace("/", ".")
        depth = module.count(".")
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text(
            "".join(_relative(line, depth, generated) for line in lines), encoding="utf-8"
        )
    for directory in {path.parent for path in out_dir.rglob("*.py")}:
        while directory != out_dir.parent:
            (directory / "__init__.py").touch()
            directory = directory.parent


def _relative(line: str, depth: int, generated: set[str]) -> str:
    ending = "\n" if line.endswith("\n") else ""
    text = line.rstrip("\n")
    match = _FROM_IMPORT.match(text)
    if match:
        indent, package, name, alias = match.groups()
        if f"{package}.{name}" in generated:
            return f"{indent}from {'.' * (depth + 1)}{package} import {name} as {alias}{ending}"
        return line
    match = _PLAIN_IMPORT.match(text)
    if match:
        indent, name, alias = match.groups()
        if name in generated:
            return f"{indent}from {'.' * (depth + 1)} import {name} as {alias}{ending}"
    return line
