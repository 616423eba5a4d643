"""Compiling a directory of .proto files for the catalog and bundle tests."""

from __future__ import annotations

import importlib.resources
import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2


def compile_descriptor_set(root: Path, out: Path) -> descriptor_pb2.FileDescriptorSet:
    """Compile every .proto under root (the single include root) into a set."""
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.proto"))
    assert files, f"no .proto files under {root}"
    wkt = importlib.resources.files("grpc_tools") / "_proto"
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"--proto_path={root}",
        f"--proto_path={wkt}",
        "--include_imports",
        "--include_source_info",
        f"--descriptor_set_out={out}",
        *files,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"protoc failed:\n{proc.stderr}{proc.stdout}"
    fds = descriptor_pb2.FileDescriptorSet()
    fds.ParseFromString(out.read_bytes())
    return fds
