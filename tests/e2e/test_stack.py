"""The whole stack, as CI proves it: up -> testinfra green -> break it (the suite must notice) -> load
smoke -> down, leaving nothing behind. Tests run in file order and share one throw-away stack."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import docker
import pytest

from kit.engine.offline.container import wait_healthy
from kit.engine.teardown import leftovers
from kit.local.servers import free_port
from kit.outputs import load_outputs, offline_outputs_path
from tests.e2e.offline_helpers import ROOT, run_script

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PORT_KEYS = ("lbHttpPort", "lbHttpsPort", "prometheusPort", "alertmanagerPort", "grafanaPort")
# The break-it runs skip the monitoring module: its scrape grace period only slows them down.
NOT_MONITORING = "not test_monitoring"


def infra_suite(stack: str, *selection: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/infra",
            "--stack",
            stack,
            "-q",
            "--no-header",
            "-rfE",
            *(["-k", " and ".join(selection)] if selection else []),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    return docker.from_env()


@pytest.fixture(scope="module")
def provisioned(client: docker.DockerClient) -> Iterator[tuple[str, dict[str, object]]]:
    name = f"e2e-{secrets.token_hex(3)}"
    ports = [arg for key in PORT_KEYS for arg in ("--config", f"{key}={free_port()}")]
    up = run_script("up", "--stack", name, "--config-from", "ci", *ports)
    try:
        assert up.returncode == 0, f"scripts/up failed:\n{up.stderr[-4000:]}"
        yield name, json.loads(up.stdout.splitlines()[-1])
    finally:
        run_script("down", "--stack", name, "--remove-stack", "--remove-images")


@pytest.fixture
def stack(provisioned: tuple[str, dict[str, object]]) -> str:
    return provisioned[0]


def test_up_reports_all_healthy(provisioned: tuple[str, dict[str, object]]) -> None:
    name, summary = provisioned
    assert summary["stack"] == name
    assert summary["engine"] in ("offline", "pulumi")
    assert float(summary["secondsToHealthy"]) > 0  # type: ignore[arg-type]


def test_infra_suite_is_green(stack: str) -> None:
    result = infra_suite(stack)
    assert result.returncode == 0, result.stdout[-6000:]


def test_suite_reports_a_stopped_replica(client: docker.DockerClient, stack: str) -> None:
    replica = client.containers.get(f"{stack}-api-1")
    replica.stop(timeout=5)
    try:
        result = infra_suite(stack, NOT_MONITORING)
        assert result.returncode == 1
        assert (
            f"FAILED tests/infra/test_containers.py::test_running_and_healthy[{stack}-api-1]" in result.stdout
        )
        assert "1 API replicas run, the stack declares 2" in result.stdout
    finally:
        replica.start()
        wait_healthy(replica, timeout=120)


def test_suite_reports_a_replica_count_the_config_disagrees_with(stack: str) -> None:
    """The outputs the suite reads say 3 replicas (as a config with replicas=3 would); 2 run.

    They are shadowed through the offline outputs file, which `load_outputs` reads first whichever
    engine provisioned the stack.
    """
    path = offline_outputs_path(stack)
    original = path.read_text() if path.is_file() else None
    outputs = load_outputs(stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**outputs, "replicas": 3}))
    try:
        result = infra_suite(stack, NOT_MONITORING)
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_text(original)
    assert result.returncode == 1
    assert "2 API replicas run, the stack declares 3" in result.stdout
    assert "test_one_upstream_server_per_replica" in result.stdout


@contextmanager
def replaced(
    client: docker.DockerClient, name: str, change: Callable[[dict[str, Any]], None]
) -> Iterator[None]:
    """`name` re-created from its own configuration with `change` applied to its HostConfig, for
    the length of the block; then the original is back, as it was, and healthy."""
    original = client.containers.get(name)
    config, host_config = original.attrs["Config"], dict(original.attrs["HostConfig"])
    change(host_config)
    first, *others = networks = original.attrs["NetworkSettings"]["Networks"]
    original.stop(timeout=5)
    original.rename(f"{name}-original")
    api = client.api
    copy = api.create_container(
        image=config["Image"], command=config["Cmd"], entrypoint=config["Entrypoint"],
        environment=config["Env"], user=config["User"], labels=config["Labels"],
        hostname=config["Hostname"], healthcheck=config.get("Healthcheck"), name=name,
        host_config=host_config,
        networking_config=api.create_networking_config(
            {first: api.create_endpoint_config(aliases=networks[first].get("Aliases"))}
        ),
    )  # fmt: skip
    try:
        for network in others:
            client.networks.get(network).connect(copy["Id"], aliases=networks[network].get("Aliases"))
        api.start(copy["Id"])
        yield
    finally:
        api.remove_container(copy["Id"], force=True)
        original.rename(name)
        original.start()
        wait_healthy(original, timeout=60)


def _regains(capability: str) -> Callable[[dict[str, Any]], None]:
    def change(host_config: dict[str, Any]) -> None:
        host_config["CapAdd"] = [capability]

    return change


def _may_gain_privileges(host_config: dict[str, Any]) -> None:
    host_config["SecurityOpt"] = [
        option
        for option in host_config.get("SecurityOpt") or []
        if not option.startswith("no-new-privileges")
    ]


def test_suite_reports_a_capability_regained_and_no_new_privileges_lost(
    client: docker.DockerClient, stack: str
) -> None:
    """Each container re-created with the stack's own configuration but one hardening setting
    undone: the hardening checks fail for it, from Docker's record and from the kernel's view."""
    with (
        replaced(client, f"{stack}-nginx-exporter", _regains("NET_RAW")),
        replaced(client, f"{stack}-redis-exporter", _may_gain_privileges),
    ):
        result = infra_suite(stack, "test_hardening")
    failed = {line.split(" - ")[0] for line in result.stdout.splitlines() if line.startswith("FAILED ")}
    module = "FAILED tests/infra/test_hardening.py"
    assert failed == {
        f"{module}::test_docker_drops_every_capability_but_those_the_table_keeps[{stack}-nginx-exporter]",
        f"{module}::test_no_process_holds_a_capability_the_table_does_not_keep[{stack}-nginx-exporter]",
        f"{module}::test_docker_sets_no_new_privileges_and_keeps_seccomp[{stack}-redis-exporter]",
        f"{module}::test_no_process_may_gain_privileges[{stack}-redis-exporter]",
    }, result.stdout[-6000:]
    assert result.returncode == 1
    assert f"{stack}-nginx-exporter (nginx-exporter) regained ['NET_RAW']" in result.stdout
    assert "CapBnd holds ['NET_RAW']" in result.stdout
    assert "may gain privileges (NoNewPrivs 0)" in result.stdout


def test_load_smoke_meets_its_slo(stack: str) -> None:
    if not (ROOT / "scripts" / "load").is_file():
        pytest.skip("scripts/load does not exist yet")
    result = run_script("load", "--profile", "smoke", "--stack", stack)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_suite_reports_a_stopped_redis(client: docker.DockerClient, stack: str) -> None:
    client.containers.get(f"{stack}-redis").stop(timeout=5)
    result = infra_suite(stack, NOT_MONITORING)
    assert result.returncode == 1
    assert f"FAILED tests/infra/test_containers.py::test_running_and_healthy[{stack}-redis]" in result.stdout
    assert "test_redis_refuses_commands_without_the_password" in result.stdout


def test_down_leaves_nothing_behind(client: docker.DockerClient, stack: str) -> None:
    result = run_script("down", "--stack", stack, "--remove-stack", "--remove-images")
    assert result.returncode == 0, result.stderr
    assert not client.images.list(filters={"label": f"proving-ground.stack={stack}"})
    assert json.loads(result.stdout.splitlines()[-1])["stack"] == stack
    assert not leftovers(client, stack), leftovers(client, stack).describe()
    assert not offline_outputs_path(stack).exists()
