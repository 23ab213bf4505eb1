"""The offline provisioner against a small fixture program that uses every type it implements."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator

import docker
import pytest

from kit.engine.teardown import leftovers
from kit.local.servers import free_port
from kit.outputs import load_outputs
from tests.e2e.offline_helpers import FIXTURE_PROGRAM, run_offline, run_script

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _stack() -> str:
    return f"e2e-fx-{secrets.token_hex(3)}"


def _up_fixture(stack: str, port: int, *config: str) -> subprocess.CompletedProcess[str]:
    """`up` of the fixture program from its `base` config, plus extra KEY=VALUE settings."""
    extra = [arg for pair in config for arg in ("--config", pair)]
    return run_offline(
        "up", "--stack", stack, "--config-from", "base", "--config", f"port={port}", *extra,
        "--program", str(FIXTURE_PROGRAM),
    )  # fmt: skip


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    return docker.from_env()


@pytest.fixture(scope="module")
def fixture_stack(client: docker.DockerClient) -> Iterator[tuple[str, int, dict[str, object]]]:
    stack, port = _stack(), free_port()
    result = _up_fixture(stack, port)
    try:
        assert result.returncode == 0, result.stderr
        yield stack, port, json.loads(result.stdout.splitlines()[-1])
    finally:
        run_offline("down", "--stack", stack)


def test_up_reports_one_json_line(fixture_stack: tuple[str, int, dict[str, object]]) -> None:
    stack, _, summary = fixture_stack
    assert summary["engine"] == "offline"
    assert summary["stack"] == stack
    assert isinstance(summary["secondsToHealthy"], float)
    assert summary["imagesBuilt"] + summary["imagesReused"] == 2  # type: ignore[operator]


def test_container_is_created_as_declared(
    client: docker.DockerClient, fixture_stack: tuple[str, int, dict[str, object]]
) -> None:
    stack, port, _ = fixture_stack
    attrs = client.containers.get(f"{stack}-app").attrs
    assert attrs["State"]["Health"]["Status"] == "healthy"
    assert attrs["HostConfig"]["PortBindings"] == {
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]
    }
    assert attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert attrs["HostConfig"]["Memory"] == 64 * 1024 * 1024
    assert attrs["HostConfig"]["Tmpfs"] == {"/tmp": "rw,size=1m"}
    assert attrs["Config"]["User"] == "1000"
    assert attrs["Config"]["Labels"]["proving-ground.role"] == "app"
    assert "app" in attrs["NetworkSettings"]["Networks"][f"{stack}-backend"]["Aliases"]
    assert list(attrs["NetworkSettings"]["Networks"]) == [f"{stack}-backend"]
    assert [m["Name"] for m in attrs["Mounts"] if m["Type"] == "volume"] == [f"{stack}-app-data"]


def test_secrets_and_dependent_outputs_resolve(
    client: docker.DockerClient, fixture_stack: tuple[str, int, dict[str, object]]
) -> None:
    stack, _, _ = fixture_stack
    outputs = load_outputs(stack)
    app = client.containers.get(str(outputs["appContainer"]))
    assert f"APP_PASSWORD={outputs['password']}" in app.attrs["Config"]["Env"]
    assert len(str(outputs["password"])) == 24
    uploaded = app.exec_run(["cat", "/srv/ready"]).output.decode()
    assert uploaded == outputs["certPem"]
    assert uploaded.startswith("-----BEGIN CERTIFICATE-----")


def test_auto_named_container_without_wait_is_healthy_too(
    client: docker.DockerClient, fixture_stack: tuple[str, int, dict[str, object]]
) -> None:
    stack, _, _ = fixture_stack
    worker = client.containers.get(str(load_outputs(stack)["workerContainer"]))
    assert str(worker.name).startswith("worker-")
    assert worker.attrs["State"]["Health"]["Status"] == "healthy"
    assert worker.attrs["HostConfig"]["ReadonlyRootfs"] is True


def test_unhealthy_container_fails_with_its_logs_and_nothing_is_left(client: docker.DockerClient) -> None:
    stack = _stack()
    result = _up_fixture(stack, free_port(), "failing=true")
    assert result.returncode == 1
    assert f"container {stack}-broken is unhealthy" in result.stderr
    assert "about to fail" in result.stderr  # the container's last log lines
    assert not leftovers(client, stack)


def test_unimplemented_input_field_is_an_error_naming_it(client: docker.DockerClient) -> None:
    stack = _stack()
    result = _up_fixture(stack, free_port(), "unsupported=true")
    assert result.returncode == 1
    assert "input field(s) privileged not implemented by the offline provisioner" in result.stderr
    assert not leftovers(client, stack)


def test_repeated_up_builds_nothing_and_down_removes_everything_labelled(
    client: docker.DockerClient, fixture_stack: tuple[str, int, dict[str, object]]
) -> None:
    stack = _stack()
    up = _up_fixture(stack, free_port())
    assert up.returncode == 0, up.stderr
    # The module's first up built the fixture image: a repeated up takes it from the layer cache.
    assert json.loads(up.stdout.splitlines()[-1])["imagesBuilt"] == 0
    assert leftovers(client, stack)
    down = run_offline("down", "--stack", stack)
    assert down.returncode == 0, down.stderr
    assert not leftovers(client, stack)
    with pytest.raises(Exception, match="no"):
        load_outputs(stack)


def test_up_without_a_stack_file_names_the_stacks_that_have_one() -> None:
    result = run_script("up", "--stack", _stack(), "--offline")
    assert result.returncode == 2
    assert "no stack file Pulumi.e2e-fx-" in result.stderr
    # Throw-away stacks of other runs may have files too: the shared ones must be named.
    listed = result.stderr.split("stacks with a file: ", 1)[1].split(" (use --config-from", 1)[0].split(", ")
    assert {"bench", "ci", "dev", "production"} <= set(listed)


def test_up_rejects_an_invalid_stack_name() -> None:
    result = run_script("up", "--stack", "Bad_Name")
    assert result.returncode == 2
    assert "--stack 'Bad_Name' is not a valid stack name" in result.stderr
