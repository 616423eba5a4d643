"""The deploy files agree with the code and with each other (checked without Docker or a cluster).

Dockerfile and .dockerignore, the Kubernetes manifests in ``deploy/kubernetes/``, and
the CI workflow: each parses, and the ports, users, labels, settings and commands they
name are the ones the service really has.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import build_parser
from {{ cookiecutter.package_name }}.settings import (
    SETTINGS,
    Settings,
)

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
PACKAGE = "{{ cookiecutter.package_name }}"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
KNOWN_ENV = {setting.env for setting in SETTINGS}

# -- Dockerfile --------------------------------------------------------------------------


@functools.cache
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def exec_form(arguments: str) -> list[str]:
    """A JSON-array (exec form) command; fails on the shell form."""
    command = json.loads(arguments)
    assert isinstance(command, list), f"not exec form: {arguments}"
    assert all(isinstance(part, str) for part in command)
    return command


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in final_stage():
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def test_the_image_is_slim_and_runs_as_a_numeric_non_root_user() -> None:
    stage = final_stage()
    assert re.match(r"python:\S*slim", stage[0][1].split()[0].replace("${PYTHON_VERSION}", "3"))
    [user] = [arguments for keyword, arguments in stage if keyword == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit(), "Kubernetes' runAsNonRoot needs a numeric user"
    assert int(uid) != 0


def test_the_entrypoint_is_exec_form_serve() -> None:
    [entrypoint] = [arguments for keyword, arguments in final_stage() if keyword == "ENTRYPOINT"]
    assert exec_form(entrypoint) == ["python", "-m", PACKAGE, "serve"]


def test_the_healthcheck_is_a_real_command_on_the_health_port() -> None:
    [check] = [arguments for keyword, arguments in final_stage() if keyword == "HEALTHCHECK"]
    command = exec_form(check[check.index("CMD") + len("CMD") :].strip())
    assert command[:3] == ["python", "-m", PACKAGE]
    build_parser().parse_args(command[3:])  # the CLI knows the subcommand
    env = image_env()
    assert int(env["INTEGRATION_HEALTH_PORT"]) > 0, "TLS images need the plaintext health port"
    exposed = {
        int(port)
        for keyword, arguments in final_stage()
        if keyword == "EXPOSE"
        for port in arguments.split()
    }
    assert {int(env["INTEGRATION_PORT"]), int(env["INTEGRATION_HEALTH_PORT"])} <= exposed
    assert set(env) & {name for name in env if name.startswith("INTEGRATION_")} <= KNOWN_ENV


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _pattern_regex(pattern: str) -> str:
    parts = []
    for piece in re.split(r"(\*\*|\*|\?)", pattern.strip("/")):
        if piece == "**":
            parts.append(".*")
        elif piece == "*":
            parts.append("[^/]*")
        elif piece == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(piece))
    return "".join(parts)


def ignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a parent counts."""
    result = False
    prefixes = ["/".join(path.split("/")[:depth]) for depth in range(1, path.count("/") + 2)]
    for pattern in dockerignore_patterns():
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern[1:] if negated else pattern)
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            result = not negated
    return result


@pytest.mark.parametrize(
    "path", ["tenant.json", ".venv/bin/python", ".git/config", ".env", "tests/conftest.py"]
)
def test_secrets_and_local_files_stay_out_of_the_build_context(path: str) -> None:
    assert ignored(path), path


def test_every_copied_source_is_in_the_build_context() -> None:
    copies = [
        arguments
        for keyword, arguments in dockerfile_instructions()
        if keyword == "COPY" and "--from=" not in arguments
    ]
    assert copies
    for arguments in copies:
        *sources, _destination = [part for part in arguments.split() if not part.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert not ignored(source), f"COPY {source}: excluded by .dockerignore"
    package = f"src/{PACKAGE}/server.py"
    assert not ignored(package)
    assert ignored(f"src/{PACKAGE}/__pycache__/server.cpython-312.pyc")


# -- Kubernetes ---------------------------------------------------------------------------


@functools.cache
def manifests() -> dict[str, dict[str, Any]]:
    """Every object in deploy/kubernetes, by kind."""
    objects: dict[str, dict[str, Any]] = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert document["kind"] not in objects, f"two {document['kind']} objects"
            objects[document["kind"]] = document
    return objects


def container() -> dict[str, Any]:
    [main] = manifests()["Deployment"]["spec"]["template"]["spec"]["containers"]
    result: dict[str, Any] = main
    return result


def container_env() -> dict[str, Any]:
    return {entry["name"]: entry for entry in container()["env"]}


def env_value(name: str) -> str:
    return str(container_env()[name]["value"])


def test_the_manifests_have_every_kind_named_validly() -> None:
    objects = manifests()
    kinds = {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"}
    assert set(objects) == kinds
    names = {document["metadata"]["name"] for document in objects.values()}
    assert len(names) == 1
    [name] = names
    assert DNS_LABEL.match(name), name
    assert len(name) <= 63, name
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = set(kustomization["resources"])
    assert listed == {path.name for path in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}


def test_labels_and_selectors_agree() -> None:
    objects = manifests()
    deployment = objects["Deployment"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    assert objects["Service"]["spec"]["selector"].items() <= pod_labels.items()
    assert objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == selector
    target = objects["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert all(rule["labelSelector"]["matchLabels"] == selector for rule in spread)


def test_ports_and_probes_match_the_settings() -> None:
    ports = {port["name"]: port["containerPort"] for port in container()["ports"]}
    assert ports["grpc"] == int(env_value("INTEGRATION_PORT"))
    assert ports["health"] == int(env_value("INTEGRATION_HEALTH_PORT"))
    assert ports["metrics"] == int(env_value("INTEGRATION_METRICS_PORT"))
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container()[probe]["grpc"]["port"] == ports["health"], probe
    [service_port] = manifests()["Service"]["spec"]["ports"]
    assert service_port["targetPort"] in ports
    annotations = manifests()["Deployment"]["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == ports["metrics"]


def test_every_environment_variable_is_a_setting_given_as_a_string() -> None:
    for name, entry in container_env().items():
        assert name in KNOWN_ENV, f"{name} is not a setting"
        assert "valueFrom" in entry or isinstance(entry["value"], str), name


def test_secrets_come_from_kubernetes_secrets() -> None:
    key = container_env()["INTEGRATION_PRESHARED_KEY"]
    assert "secretKeyRef" in key["valueFrom"]
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    secret_volumes = {volume["name"] for volume in pod["volumes"] if "secret" in volume}
    mounts = [mount for mount in container()["volumeMounts"] if mount["name"] in secret_volumes]
    for name in ("INTEGRATION_TLS_CERT", "INTEGRATION_TLS_KEY"):
        path = env_value(name)
        assert any(path.startswith(mount["mountPath"] + "/") for mount in mounts), name
    assert all(mount.get("readOnly") for mount in mounts)


def test_the_pod_runs_as_the_images_non_root_user_with_limits() -> None:
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    [user] = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(user.split(":")[0])
    assert container()["securityContext"]["allowPrivilegeEscalation"] is False
    resources = container()["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])  # the HPA needs the CPU request
    assert "memory" in resources["limits"]


def test_kubernetes_waits_longer_than_the_shutdown_takes() -> None:
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    env = container_env()
    defaults = Settings()
    delay = float(env.get("INTEGRATION_SHUTDOWN_DELAY", {}).get("value", defaults.shutdown_delay))
    grace = float(env.get("INTEGRATION_GRACE_PERIOD", {}).get("value", defaults.grace_period))
    assert pod["terminationGracePeriodSeconds"] > delay + grace


def test_the_pdb_and_autoscaler_keep_a_replica_up() -> None:
    objects = manifests()
    hpa = objects["HorizontalPodAutoscaler"]["spec"]
    assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    assert objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] < hpa["minReplicas"]


# -- CI workflow ------------------------------------------------------------------------------


@functools.cache
def workflow() -> dict[Any, Any]:
    path = ROOT / ".github" / "workflows" / "ci.yml"
    document: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def test_the_workflow_runs_every_check() -> None:
    document = workflow()
    assert document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    runs = "\n".join(
        step.get("run", "") for job in document["jobs"].values() for step in job["steps"]
    )
    for command in (
        "pip install -e '.[dev]'",
        "ruff check .",
        "ruff format --check .",
        "mypy",
        "pytest",
        f"python -m {PACKAGE} regen --check",
        "docker build",
    ):
        assert command in runs, command


def test_the_workflow_tests_the_oldest_supported_python() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'requires-python = ">=([\d.]+)"', pyproject)
    assert match
    versions = [
        str(step["with"]["python-version"])
        for job in workflow()["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("actions/setup-python")
    ]
    assert match.group(1) in versions
