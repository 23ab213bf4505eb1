"""The real Pulumi engine runs the program as users do, and the offline stand-in stays honest.

One `ci`-config stack under the real engine: no perma-diff (`preview --expect-no-changes`), a second
`up` changes nothing, no secret in clear in the state; a bad config value stops `up` before any
resource exists; and a twin under the offline provisioner creates the same Docker objects.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from typing import Any

import docker
import pytest

from kit.contract import SECRET_OUTPUTS, stack_selector
from kit.engine.teardown import leftovers
from kit.local.servers import free_port
from kit.outputs import load_outputs, pulumi_env
from tests.e2e.engine_twins import comparable, differences
from tests.e2e.offline_helpers import ROOT, run_script

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PORT_KEYS = ("lbHttpPort", "prometheusPort", "alertmanagerPort")


def ports() -> list[str]:
    return [arg for key in PORT_KEYS for arg in ("--config", f"{key}={free_port()}")]


def pulumi(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = pulumi_env()
    assert env is not None
    result = subprocess.run(
        ["pulumi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if check:
        assert result.returncode == 0, (
            f"pulumi {' '.join(args)}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return result


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    return docker.from_env()


@pytest.fixture(scope="module")
def real(client: docker.DockerClient) -> Iterator[tuple[str, dict[str, Any]]]:
    if pulumi_env() is None:
        pytest.skip("no Pulumi engine here: ./scripts/build-engine builds one (scripts/test always does)")
    name = f"eng-{secrets.token_hex(3)}"
    try:
        up = run_script("up", "--stack", name, "--config-from", "ci", *ports())
        assert up.returncode == 0, f"scripts/up failed:\n{up.stderr[-4000:]}"
        yield name, json.loads(up.stdout.splitlines()[-1])
    finally:
        down = run_script("down", "--stack", name, "--remove-stack", "--remove-images")
        assert down.returncode == 0, down.stderr[-3000:]
        assert not leftovers(client, name), leftovers(client, name).describe()


@pytest.fixture(scope="module")
def twin(client: docker.DockerClient, real: tuple[str, dict[str, Any]]) -> Iterator[str]:
    name = f"off-{secrets.token_hex(3)}"
    try:
        up = run_script("up", "--offline", "--stack", name, "--config-from", "ci", *ports())
        assert up.returncode == 0, f"scripts/up --offline failed:\n{up.stderr[-4000:]}"
        yield name
    finally:
        run_script("down", "--offline", "--stack", name, "--remove-images")


def test_up_ran_the_real_engine(real: tuple[str, dict[str, Any]]) -> None:
    assert real[1]["engine"] == "pulumi"


def test_preview_expects_no_changes(real: tuple[str, dict[str, Any]]) -> None:
    pulumi("preview", "--expect-no-changes", "--stack", real[0])


def test_second_up_changes_nothing(real: tuple[str, dict[str, Any]]) -> None:
    again = run_script("up", "--stack", real[0])
    assert again.returncode == 0, again.stderr[-4000:]
    [last] = json.loads(pulumi("stack", "history", "--json", "--stack", real[0]).stdout)[:1]
    changes = {op: count for op, count in last["resourceChanges"].items() if op != "same"}
    assert not changes, f"the second up changed {changes}"


def test_no_secret_is_in_the_state_in_clear(real: tuple[str, dict[str, Any]]) -> None:
    outputs = load_outputs(real[0])
    state = pulumi("stack", "export", "--stack", real[0]).stdout
    found = [key for key in SECRET_OUTPUTS if outputs.get(key) and str(outputs[key]) in state]
    assert not found, f"in clear in the state: {found}"


def test_bad_config_stops_up_before_any_resource_exists(client: docker.DockerClient) -> None:
    name = f"bad-{secrets.token_hex(3)}"
    try:
        up = run_script("up", "--stack", name, "--config-from", "ci", "--config", "replicas=0", *ports())
        assert up.returncode != 0
        assert "proving-ground:replicas" in up.stdout + up.stderr
        assert not client.containers.list(all=True, filters=stack_selector(name))
        resources = json.loads(pulumi("stack", "export", "--stack", name).stdout)["deployment"].get(
            "resources"
        )
        assert not [r for r in resources or [] if r["type"].startswith("docker:")]
    finally:
        run_script("down", "--stack", name, "--remove-stack")


def test_both_engines_create_the_same_docker_objects(
    client: docker.DockerClient, real: tuple[str, dict[str, Any]], twin: str
) -> None:
    found = differences(comparable(client, real[0]), comparable(client, twin))
    assert not found, "the engines differ:\n" + "\n".join(found)
