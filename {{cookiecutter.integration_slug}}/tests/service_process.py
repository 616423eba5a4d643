"""Run the real command line in a child process, as an operator would: for lifecycle tests.

``async with ServiceProcess("serve", "--insecure", "--port", str(port)) as service:``
starts ``python -m <package> serve ...`` with this checkout's sources, collects its JSON
log lines, and kills it if a test leaves it running. Tests wait for log lines
(``wait_for_log``) instead of sleeping, so they are not timed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from {{ cookiecutter.package_name }}.testing import TEST_SECRETS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"
# Generous bounds, so only a hung process fails a test; nothing is timed against them.
STARTUP_SECONDS = 30.0
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")

LogLine = dict[str, Any]


def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for a service started next.

    Chosen at random below the kernel's ephemeral range: ports handed out for "port 0"
    (every in-process test server, other test runs) never come from there, so the port
    stays free while the service starts.
    """
    low = max(_ephemeral_low(), 20000)
    for _ in range(100):
        port = 10000 + secrets.randbelow(low - 10000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


def free_ports(count: int) -> list[int]:
    """``count`` different free ports."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def child_environment(extra: Mapping[str, str] = {}) -> dict[str, str]:
    """This environment without INTEGRATION_* settings, importing this checkout's sources."""
    environ = {name: value for name, value in os.environ.items() if "INTEGRATION_" not in name}
    paths = [str(ROOT / "src"), str(ROOT), environ.get("PYTHONPATH", "")]
    environ["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    environ.update(extra)
    return environ


def message(text: str) -> Callable[[LogLine], bool]:
    """A log-line predicate: the message starts with ``text``."""
    return lambda line: str(line.get("msg", "")).startswith(text)


def serving(line: LogLine) -> bool:
    """The line a server process writes once it listens ("serving 2 services on ...")."""
    text = str(line.get("msg", ""))
    return text.startswith("serving ") and " services on " in text


class ServiceProcess:
    """``python -m <module> <arguments>`` as a child process with its stderr collected."""

    def __init__(
        self,
        *arguments: str,
        module: str = PACKAGE,
        env: Mapping[str, str] = {},
    ) -> None:
        self.command = [sys.executable, "-m", module, *arguments]
        self.env = child_environment(env)
        self.lines: list[LogLine] = []
        self.output: list[str] = []
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self._ended = False

    async def __aenter__(self) -> ServiceProcess:
        self._process = await asyncio.create_subprocess_exec(
            *self.command,
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        process = self._require()
        if process.returncode is None:
            process.kill()
        await process.wait()
        if self._reader is not None:
            await self._reader
        text = "\n".join(self.output)
        for secret in TEST_SECRETS.values():
            assert secret not in text, "a tenant secret was written to the service's log"

    async def _read(self) -> None:
        stream = self._require().stderr
        assert stream is not None
        async for raw in stream:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            async with self._changed:
                self.output.append(text)
                if text.startswith("{"):
                    with contextlib.suppress(ValueError):  # else gRPC's own logging
                        self.lines.append(json.loads(text))
                self._changed.notify_all()
        async with self._changed:
            self._ended = True
            self._changed.notify_all()

    def _require(self) -> asyncio.subprocess.Process:
        assert self._process is not None, "use ServiceProcess in `async with`"
        return self._process

    async def wait_for_log(
        self, predicate: Callable[[LogLine], bool], *, count: int = 1
    ) -> list[LogLine]:
        """Wait until ``count`` log lines match; fail with the output if the process ends."""

        def matching() -> list[LogLine]:
            return [line for line in self.lines if predicate(line)]

        async def wait() -> list[LogLine]:
            async with self._changed:
                while len(matching()) < count:
                    if self._ended:
                        raise AssertionError(
                            "the service ended before the expected log line:\n"
                            + "\n".join(self.output)
                        )
                    await self._changed.wait()
                return matching()

        try:
            return await asyncio.wait_for(wait(), STARTUP_SECONDS)
        except (TimeoutError, asyncio.TimeoutError):
            raise AssertionError(
                "no such log line; the service wrote:\n" + "\n".join(self.output)
            ) from None

    async def send_line(self, text: str = "") -> None:
        """Write a line to the process's standard input (opens ``gated_server``'s gate)."""
        stream = self._require().stdin
        assert stream is not None
        stream.write(text.encode() + b"\n")
        await stream.drain()

    def send_signal(self, signum: signal.Signals) -> None:
        self._require().send_signal(signum)

    async def exit_code(self) -> int:
        """Wait for the process to exit; its status (negative: killed by that signal)."""
        try:
            return await asyncio.wait_for(self._require().wait(), STARTUP_SECONDS)
        except (TimeoutError, asyncio.TimeoutError):
            raise AssertionError(
                "the service did not exit; it wrote:\n" + "\n".join(self.output)
            ) from None
