"""The command line as a developer uses it: ``serve``, then ``call`` each RPC like Accedo One.

The end-to-end test runs the real commands in child processes; the other tests call
the command line's functions in-process (bad input never reaches the network).
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2

from {{ cookiecutter.package_name }} import cli, contracts
from {{ cookiecutter.package_name }}.generated import (
    contract,
)
from {{ cookiecutter.package_name }}.handlers import HANDLERS
from {{ cookiecutter.package_name }}.handlers.platform import (
    EventDispatchHandler,
)
from {{ cookiecutter.package_name }}.rpc_caller import (
    load_sample,
    requests_of,
)
from {{ cookiecutter.package_name }}.stub_status import (
    is_unfilled,
)
from {{ cookiecutter.package_name }}.testing import (
    TEST_SECRETS,
    Harness,
    sample_tenant,
)

from .service_process import PACKAGE, ServiceProcess, child_environment, free_port, serving

MANIFEST = "IntegrationService.GetManifest"


async def run_cli(*arguments: str, cwd: Path) -> tuple[int, str, str]:
    """``python -m <package> <arguments>`` in a child process: exit status, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        PACKAGE,
        *arguments,
        cwd=cwd,
        env=child_environment(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def calls_to_try() -> Iterator[tuple[list[str], str]]:
    """``(call arguments, expected outcome)`` for GetManifest and every RPC still a stub.

    Filled-in RPCs are left out: they would reach the real vendor API.
    """
    for rpc in contracts.rpcs():
        dispatch = issubclass(HANDLERS[rpc.service], EventDispatchHandler)
        if dispatch and rpc.name == "OnEvent":
            for key in contract.EVENT_SUBSCRIPTIONS:
                if is_unfilled(rpc.service, rpc.name, key):
                    yield [rpc.label, "--event", key], "UNIMPLEMENTED"
        elif rpc.label == MANIFEST:
            yield [rpc.label], "manifest"
        elif is_unfilled(rpc.service, rpc.name):
            yield [rpc.label], "UNIMPLEMENTED"


def check_outcome(rpc: list[str], expected: str, code: int, out: str, err: str) -> None:
    if expected == "manifest":
        assert code == 0, err
        manifest = json.loads(out)["manifest"]
        subscribed = manifest.get("eventSubscriptions", [])  # JSON leaves out empty lists
        assert subscribed == list(contract.EVENT_SUBSCRIPTIONS)
        return
    # Exit status 1, nothing on stdout, the status and the server's message on stderr.
    assert code == 1, (rpc, out, err)
    assert out == "", rpc
    assert "error: UNIMPLEMENTED: " in err, (rpc, err)
    assert f"/{rpc[0].split('.')[1]} is not implemented yet" in err, (rpc, err)


async def test_serve_then_call_every_rpc_with_its_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``serve`` in a child process, then ``call`` each RPC; SIGTERM ends it with status 0.

    GetManifest and the first stub are called by the real command in child processes
    (``./tenant.json`` found, sample request, output); the other RPCs go through the
    same sending and printing code in this process, to keep the suite fast.
    """
    (tmp_path / "tenant.json").write_text(json.dumps(sample_tenant()), encoding="utf-8")
    port = free_port()
    address = f"127.0.0.1:{port}"
    arguments = ["serve", "--insecure", "--host", "127.0.0.1", "--port", str(port)]
    cases = sorted(calls_to_try(), key=lambda case: case[1] != "manifest")
    in_children = cases[:2]  # GetManifest and the first stub, if any is left
    async with ServiceProcess(*arguments) as service:
        await service.wait_for_log(serving)
        results = await asyncio.gather(
            *(
                run_cli("call", *rpc, "--insecure", "--address", address, cwd=tmp_path)
                for rpc, _ in in_children
            )
        )
        for (rpc, expected), result in zip(in_children, results, strict=True):
            check_outcome(rpc, expected, *result)
        for rpc, expected in cases[len(in_children) :]:
            found = contracts.find_rpc(rpc[0])
            event = rpc[2] if len(rpc) > 2 else None
            requests = requests_of(found, load_sample(found, event), sample_tenant())
            output = io.StringIO()
            code = await cli.send(address, found, requests, timeout=30, out=output)
            check_outcome(rpc, expected, code, output.getvalue(), capsys.readouterr().err)
        service.send_signal(signal.SIGTERM)
        assert await service.exit_code() == 0


def health_watch() -> contracts.Rpc:
    """Health ``Watch``: a server stream every integration serves, which never ends by itself."""
    method = descriptor_pool.Default().FindMethodByName("grpc.health.v1.Health.Watch")
    return contracts.Rpc("grpc.health.v1.Health", "Watch", method)


async def test_a_stream_prints_each_message_as_it_arrives(harness: Harness) -> None:
    """The first message of a stream that stays open is printed at once."""
    watch = health_watch()
    first_line = asyncio.Event()

    class Output(io.StringIO):
        def write(self, text: str) -> int:
            written = super().write(text)
            if "\n" in self.getvalue():
                first_line.set()
            return written

    output = Output()
    sending = asyncio.ensure_future(
        cli.send(harness.address, watch, [health_pb2.HealthCheckRequest()], out=output)
    )
    await asyncio.wait_for(first_line.wait(), 30)
    assert not sending.done()  # printed while the stream is still open
    assert json.loads(output.getvalue().splitlines()[0]) == {"status": "SERVING"}
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending


async def test_a_failed_stream_says_how_far_it_got(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    watch = health_watch()
    # Watch never completes, so the deadline always ends it, after 0 or more messages.
    code = await cli.send(harness.address, watch, [health_pb2.HealthCheckRequest()], timeout=0.1)
    captured = capsys.readouterr()
    assert code == 1
    printed = captured.out.splitlines()
    assert all(json.loads(line) == {"status": "SERVING"} for line in printed)
    assert "error: DEADLINE_EXCEEDED" in captured.err
    assert f"the stream failed after {len(printed)} message(s)" in captured.err


async def test_no_service_there_gives_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    rpc = contracts.find_rpc(MANIFEST)
    requests = requests_of(rpc, {}, sample_tenant())
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    assert await cli.send(address, rpc, requests, timeout=30) == 1
    err = capsys.readouterr().err
    assert "error: UNAVAILABLE" in err
    assert f"hint: is the integration running at {address}, serving plaintext" in err


def test_the_request_comes_inline_from_a_file_or_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "request.json").write_text('{"from": "file"}', encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"from": "stdin"}'))
    assert cli.read_document('{"from": "inline"}', None) == {"from": "inline"}
    assert cli.read_document(f"@{tmp_path / 'request.json'}", None) == {"from": "file"}
    assert cli.read_document("-", None) == {"from": "stdin"}
    assert cli.read_document(None, {"the": "sample"}) == {"the": "sample"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["NoSuchService.Nothing"], "no RPC named 'NoSuchService.Nothing'", id="rpc"),
        pytest.param([MANIFEST, "--data", "{not json"], "--data: not valid JSON", id="json"),
        pytest.param([MANIFEST, "--data", '{"noSuchField": 1}'], "noSuchField", id="unknown-field"),
        pytest.param([MANIFEST, "--data", "[]"], "must be a JSON object", id="array"),
        pytest.param([MANIFEST, "--data", "@missing.json"], "missing.json", id="no-file"),
        pytest.param([MANIFEST, "--tenant", "missing.json"], "--tenant missing.json", id="tenant"),
        pytest.param([MANIFEST, "-H", "no-equals-sign"], "KEY=VALUE", id="metadata"),
    ],
)
def test_bad_input_is_refused_before_calling(
    arguments: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRPC_VERBOSITY", "ERROR")  # what `call` sets: restored afterwards
    assert cli.main(["call", *arguments, "--insecure", "--address", "127.0.0.1:1"]) == 2
    assert message in capsys.readouterr().err


def test_a_broken_tenant_file_never_shows_its_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRPC_VERBOSITY", "ERROR")
    tenant = sample_tenant()
    tenant["values"]["api-key"]["secureString"]["decrypted"] = [TEST_SECRETS["api-key"]]
    (tmp_path / "tenant.json").write_text(json.dumps(tenant), encoding="utf-8")
    assert cli.main(["call", MANIFEST, "--insecure", "--address", "127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "does not fit" in err
    assert TEST_SECRETS["api-key"] not in err
    (tmp_path / "tenant.json").write_text('{"values": ', encoding="utf-8")
    assert cli.main(["call", MANIFEST, "--insecure", "--address", "127.0.0.1:1"]) == 2
    assert "tenant.json: not valid JSON" in capsys.readouterr().err


def test_rpc_names_resolve_in_every_spelling() -> None:
    rpc = contracts.find_rpc(MANIFEST)
    assert contracts.find_rpc(f"{rpc.service}.{rpc.name}") == rpc
    assert contracts.find_rpc(rpc.path) == rpc
    assert contracts.find_rpc("GetManifest") == rpc
    with pytest.raises(LookupError, match="no RPC named"):
        contracts.find_rpc("Manifest")  # a name ends at a dot, not mid-word


def test_todo_lists_exactly_the_unfilled(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["todo"]) == 0
    captured = capsys.readouterr()
    listed = captured.out.splitlines()
    expected = []
    for rpc in contracts.rpcs():
        if issubclass(HANDLERS[rpc.service], EventDispatchHandler) and rpc.name == "OnEvent":
            expected += [
                f"event {key}"
                for key in contract.EVENT_SUBSCRIPTIONS
                if is_unfilled(rpc.service, rpc.name, key)
            ]
        elif is_unfilled(rpc.service, rpc.name):
            expected.append(f"{rpc.label} ({rpc.kind})")
    assert listed == expected
    assert f"{len(expected)} left to implement" in captured.err or not expected
    assert not any(line.startswith(MANIFEST) for line in listed)  # served by the template


def test_call_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["call", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "1 the call failed" in text
    assert "--insecure" in text
