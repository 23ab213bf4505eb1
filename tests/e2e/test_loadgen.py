"""The stack's own load generator: up with loadgenEnabled -> the master plays smoke through nginx and
exits -> its record, fetched from the volume as the `loadgenReports` hint says, passes the SLO gate
-> down leaves nothing behind."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import docker
import pytest

from infra.topology import LB
from kit.engine.teardown import leftovers
from kit.local.servers import free_port
from kit.outputs import load_outputs
from tests.e2e.offline_helpers import ROOT, run_script

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PORT_KEYS = ("lbHttpPort", "prometheusPort", "alertmanagerPort")
# smoke is 20 s of load; seeding, spawning and shutting down come on top.
RUN_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    return docker.from_env()


@pytest.fixture(scope="module")
def loadgen_stack(client: docker.DockerClient) -> Iterator[tuple[str, dict[str, Any]]]:
    name = f"lg-{secrets.token_hex(3)}"
    ports = [arg for key in PORT_KEYS for arg in ("--config", f"{key}={free_port()}")]
    loadgen = ["--config", "loadgenEnabled=true", "--config", "loadgenProfile=smoke"]
    try:
        up = run_script("up", "--stack", name, "--config-from", "ci", *loadgen, *ports)
        assert up.returncode == 0, f"up failed:\n{up.stdout[-2000:]}\n{up.stderr[-4000:]}"
        yield name, load_outputs(name)
    finally:
        down = run_script("down", "--stack", name, "--remove-stack", "--remove-images")
        assert down.returncode == 0, down.stderr[-2000:]
        assert not leftovers(client, name)


@pytest.fixture(scope="module")
def finished_master(client: docker.DockerClient, loadgen_stack: tuple[str, dict[str, Any]]) -> Any:
    master = client.containers.get(loadgen_stack[1]["loadgenReports"]["container"])
    status = master.wait(timeout=RUN_TIMEOUT_S)
    assert status["StatusCode"] == 0, master.logs(tail=40).decode(errors="replace")
    return master


def test_master_and_workers_ran_once_and_were_healthy_while_running(
    client: docker.DockerClient, loadgen_stack: tuple[str, dict[str, Any]], finished_master: Any
) -> None:
    names = loadgen_stack[1]["containers"]["loadgen"]
    assert names[0] == finished_master.name
    for name in names:
        container = client.containers.get(name)
        if name != finished_master.name:  # workers quit when the master tells them to
            assert container.wait(timeout=30)["StatusCode"] == 0, name
        attrs = container.attrs
        assert attrs["HostConfig"]["RestartPolicy"]["Name"] in ("", "no"), name
        assert list(attrs["NetworkSettings"]["Networks"]) == [loadgen_stack[1]["networks"]["frontend"]]
        checks = attrs["State"]["Health"]["Log"]
        assert any(check["ExitCode"] == 0 for check in checks), f"{name} was never healthy: {checks}"


def test_record_from_the_volume_passes_the_gate(
    loadgen_stack: tuple[str, dict[str, Any]], finished_master: Any
) -> None:
    name, outputs = loadgen_stack
    hint = outputs["loadgenReports"]
    local_dir = ROOT / "reports" / "load" / f"{name}-loadgen"
    try:
        gate = subprocess.run(
            ["bash", "-c", hint["gate"]], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
        assert gate.returncode == 0, f"{hint['gate']} exited {gate.returncode}:\n{gate.stderr[-3000:]}"
        summary = json.loads(gate.stdout.strip().splitlines()[-1])
        assert summary["outcome"] == "met"
        assert summary["host"] == f"http://{name}-lb:{LB.port}"  # nginx's unprivileged port inside
        assert summary["workers"] == {"expected": 2, "seen": 2}
        assert summary["failures"] == 0
    finally:
        shutil.rmtree(local_dir, ignore_errors=True)
