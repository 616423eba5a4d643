"""Shared helpers of the benchmark scripts: baking, processes, statistics, tables.

Stdlib only (plus what the template's environment already holds), so each script
runs from the template root with the template's Python:
``.venv/bin/python benchmarks/<script>.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

if not sys.platform.startswith("linux"):
    sys.exit("error: the benchmarks read /proc (memory, CPU time of processes): Linux only")

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable
TYPES = (
    "customer-identity",
    "entitlements",
    "in-app-purchases",
    "video-catalog",
    "recommendations",
    "drm",
)
PACKAGES = ("grpcio", "grpcio-tools", "protobuf", "cookiecutter", "jinja2")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- baking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """A baked integration: its directory and Python package."""

    root: Path
    package: str

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def package_dir(self) -> Path:
        return self.src / self.package

    def env(self, **extra: str) -> dict[str, str]:
        """The environment to run this project's code uninstalled (``PYTHONPATH=src``).

        Bytecode caching stays on (as for an installed project) even where the shell
        turned it off, so every start after the first loads ``.pyc`` files.
        """
        env = dict(os.environ, PYTHONPATH=str(self.src))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(extra)
        return env

    def tenant(self) -> dict[str, object]:
        """The sample tenant configuration codegen wrote (every declared parameter)."""
        document: dict[str, object] = json.loads((self.root / "tenant.json").read_text("utf-8"))
        return document


def bake_command(output_dir: Path, *answers: str, template: Path = ROOT) -> list[str]:
    """Cookiecutter's CLI as a user runs it (``--no-input``), from this environment."""
    return [
        PYTHON,
        "-m",
        "cookiecutter",
        "--no-input",
        "--overwrite-if-exists",
        "--output-dir",
        str(output_dir),
        str(template),
        *answers,
    ]


def bake(output_dir: Path, integration_type: str, *answers: str, template: Path = ROOT) -> Project:
    """Bake one integration into ``output_dir``; returns the project."""
    output_dir.mkdir(parents=True, exist_ok=True)
    before = set(output_dir.iterdir())
    command = bake_command(
        output_dir, f"integration_type={integration_type}", *answers, template=template
    )
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"error: baking {integration_type} failed:\n{result.stdout}{result.stderr}")
    made = [path for path in output_dir.iterdir() if path not in before and path.is_dir()]
    root = made[0] if made else next(p for p in output_dir.iterdir() if p.is_dir())
    answers_file = json.loads((root / ".cookiecutter.json").read_text("utf-8"))
    return Project(root, str(answers_file["package_name"]))


@contextlib.contextmanager
def scratch_dir(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A temporary directory, removed afterwards unless ``keep``."""
    if keep:
        path = Path(tempfile.mkdtemp(prefix=prefix))
        print(f"(keeping {path})", file=sys.stderr)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


# -- requests ---------------------------------------------------------------------------

# A tenant as Accedo One sends it: every value overridden, secrets in both forms.
PRESHARED_KEY = "pSk-7f3a9c1e5b2d4a6f8e0c2b4d6f8a0c2e"
TENANT_SECRETS = {
    "preshared-key": PRESHARED_KEY,
    "api-key": "vendor-api-key-51c8e2f0a7b94d3e8f6a2c1b0d9e7f5a3c2b1d0e",
}
ENCRYPTED = "PAa26vvdaJ/XwHxCG6e7Me7ySuPVGM2YTy+76vqna+hDV8Kq0sW3zYx1mN2bV4cE6gH8jL0"


def realistic_tenant(project: Project) -> dict[str, Any]:
    """The project's sample tenant with realistic secrets and every value overridden.

    The server runs with ``INTEGRATION_PRESHARED_KEY=PRESHARED_KEY``, so the shared
    secret is checked on every call, as in production.
    """
    tenant = project.tenant()
    values: dict[str, Any] = tenant["values"]  # type: ignore[assignment]
    for key, value in values.items():
        value["isOverridden"] = True
        if "secureString" in value:
            secret = TENANT_SECRETS.get(key, f"secret-of-{key}-0123456789abcdef")
            value["secureString"] = {"decrypted": secret, "encrypted": ENCRYPTED}
        if key == "api-base-url":
            value["stringValue"] = "https://api.vendor.example.com/v2"
    return tenant


_BUILD_REQUEST = """
import importlib, json, sys
from google.protobuf import descriptor_pool, json_format, message_factory
package, method, document = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
contract = importlib.import_module(package + ".generated.contract")
for module in contract.PB2_MODULES:
    importlib.import_module(package + ".generated." + module)
descriptor = descriptor_pool.Default().FindMethodByName(method)
request = json_format.ParseDict(document, message_factory.GetMessageClass(descriptor.input_type)())
sys.stdout.buffer.write(request.SerializeToString())
"""


def request_bytes(project: Project, method: str, document: dict[str, Any]) -> bytes:
    """A serialized request of ``method`` (``package.Service.Method``) from proto3 JSON,
    built with the project's generated modules (strict: unknown fields are an error)."""
    result = subprocess.run(
        [PYTHON, "-c", _BUILD_REQUEST, project.package, method],
        input=json.dumps(document).encode(),
        capture_output=True,
        env=project.env(),
        check=False,
    )
    if result.returncode:
        sys.exit(f"error: cannot build a {method} request:\n{result.stderr.decode()}")
    return result.stdout


def grpc_frame(message: bytes) -> bytes:
    """A message as gRPC puts it on the wire: not compressed, 4-byte length, bytes."""
    return b"\x00" + len(message).to_bytes(4, "big") + message


def unary_call(port: int, method: str, request: bytes) -> bytes:
    """One call from this (harness) process, to check a server and fetch its answer."""
    import grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call: Any = channel.unary_unary(method)
        response: bytes = call(request, timeout=10)
        return response


# -- server processes ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Until ``port`` accepts connections (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise RuntimeError(f"server did not listen on port {port} within {timeout}s")


@dataclass
class Server:
    """A server process the benchmark started (and stops)."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def status_kb(self, field: str) -> int:
        """A ``/proc/<pid>/status`` memory field (``VmRSS``, ``VmHWM``) in KiB."""
        return proc_status_number(self.pid, field)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (all its threads)."""
        return proc_cpu_seconds(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    name: str, command: Sequence[str], env: dict[str, str], cwd: Path, log: Path, port: int
) -> Server:
    """Start a server whose stdout and stderr (its logs) go to ``log``."""
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = Server(name, process, port, log)
    try:
        wait_listening(port, process)
    except RuntimeError as error:
        server.stop()
        tail = log.read_text("utf-8", errors="replace")[-2000:]
        sys.exit(f"error: {name}: {error}\n{tail}")
    return server


def generated_server_command(project: Project, port: int, *extra: str) -> list[str]:
    """The generated server exactly as its README starts it (plaintext, logs at info, JSON)."""
    return [
        PYTHON,
        "-m",
        project.package,
        "serve",
        "--insecure",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "info",
        "--log-format",
        "json",
        *extra,
    ]


def bare_server_command(project: Project, port: int, *extra: str) -> list[str]:
    """The floor: a bare ``grpc.aio`` server on the project's generated modules."""
    return [
        PYTHON,
        str(BENCH_DIR / "bare_server.py"),
        "--package",
        project.package,
        "--port",
        str(port),
        *extra,
    ]


def proc_status_number(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


# -- statistics and output -------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes straight into benchmarks/README.md)."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    return "\n".join([line, rule, *body])


def verdict(ratio: float, goal: float, higher_is_better: bool) -> str:
    met = ratio >= goal if higher_is_better else ratio <= goal
    sign = ">=" if higher_is_better else "<="
    return f"{'met' if met else 'MISSED'} ({sign} {goal:g})"


def machine() -> str:
    """The machine and software the numbers come from, one line each."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    busy = os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1)
    return "\n".join(
        [
            f"load average at start: {load}"
            + ("  (WARNING: the machine is busy; numbers will be noisy)" if busy else ""),
            f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu},"
            f" {ram} RAM, {platform.system()} {platform.release()}",
            f"python:  {platform.python_version()} ({PYTHON})",
            f"packages: {', '.join(versions)}",
        ]
    )


def add_template_argument(parser: argparse.ArgumentParser, project: bool = True) -> None:
    parser.add_argument(
        "--template",
        type=Path,
        default=ROOT,
        help="template checkout to bake from (default: this one)",
    )
    if project:
        parser.add_argument(
            "--project",
            type=Path,
            help="use this already baked project (e.g. a patched copy) instead of baking",
        )


def project_for(arguments: argparse.Namespace, output_dir: Path, integration_type: str) -> Project:
    """``--project`` if given (copied, so the benchmark can write into it), else a bake."""
    if arguments.project is None:
        return bake(output_dir, integration_type, template=arguments.template)
    source = arguments.project.resolve()
    answers = json.loads((source / ".cookiecutter.json").read_text("utf-8"))
    if answers.get("integration_type") != integration_type:
        sys.exit(
            f"error: {source} is a {answers.get('integration_type')} integration,"
            f" this benchmark needs {integration_type}"
        )
    copy = output_dir / source.name
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    return Project(copy, str(answers["package_name"]))


def alternate(rounds: int, sides: Sequence[str]) -> Iterator[tuple[int, str]]:
    """``(round, side)`` pairs, the order flipping every round (A B, B A, A B, ...)."""
    for index in range(rounds):
        order = sides if index % 2 == 0 else tuple(reversed(sides))
        for side in order:
            yield index, side
