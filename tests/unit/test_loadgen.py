"""The optional load generator (loadgenEnabled): a Locust master and N workers, under Pulumi mocks."""

from __future__ import annotations

import typing

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.settings import ConfigError, parse_settings
from infra.settings.values import LoadProfile
from kit.engine.offline.container import wait_healthy
from load.suite.profiles import PROFILES
from tests.unit.test_program import STACKS, plain_strings

IMAGE = "docker:index/remoteImage:RemoteImage"
VOLUME = "docker:index/volume:Volume"


@pytest.fixture(scope="module")
def declared(declare_stack):
    return declare_stack("lg", config_from="ci", loadgenEnabled="true", loadgenWorkers="3")


def envs(container: dict) -> list[str]:
    return [unwrap_rpc_secret(item) for item in unwrap_rpc_secret(container.get("envs") or [])]


def loadgen_containers(declared) -> dict[str, dict]:
    return {name: c for name, c in declared.containers.items() if declared.role(name) == "loadgen"}


@pytest.mark.parametrize("stack", STACKS)
def test_off_by_default_nothing_is_declared(declare_stack, stack):
    declared = declare_stack(stack)
    assert not loadgen_containers(declared)
    assert not [r for r in declared.resources if "loadgen" in r.name]
    assert "loadgen" not in declared.outputs["containers"]
    assert "loadgen" not in declared.outputs["volumes"]
    assert "loadgenReports" not in declared.outputs


def test_a_master_and_the_configured_number_of_workers(declared):
    assert set(loadgen_containers(declared)) == {"lg-loadgen", "lg-loadgen-0", "lg-loadgen-1", "lg-loadgen-2"}
    assert declared.outputs["containers"]["loadgen"] == [
        "lg-loadgen", "lg-loadgen-0", "lg-loadgen-1", "lg-loadgen-2",
    ]  # fmt: skip


def test_master_plays_the_profile_against_nginx_and_records_to_the_volume(declared):
    master = declared.containers["lg-loadgen"]
    command = master["command"]
    assert command[:3] == ["--master", "--headless", "--only-summary"]
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert options["--expect-workers"] == "3"
    assert options["--host"] == "http://lg-lb:8080"  # through nginx, like real users
    assert options["--csv"] == "/reports/locust"
    assert options["--html"] == "/reports/locust.html"
    assert set(envs(master)) == {"PG_LOAD_PROFILE=smoke", "PG_LOAD_RECORD=/reports/record.json"}
    assert master["volumes"] == [{"volumeName": "lg-loadgen-data", "containerPath": "/reports"}]


def test_workers_join_the_master_and_hold_the_key_only_as_a_secret(declared):
    api_key = declared.outputs["apiKey"]
    for index in range(3):
        worker = declared.containers[f"lg-loadgen-{index}"]
        assert worker["command"] == ["--worker", "--master-host", "lg-loadgen"]
        assert envs(worker) == ["PG_LOAD_PROFILE=smoke", f"PG_API_KEY={api_key}"]
        assert is_rpc_secret(worker["envs"])
        assert not worker.get("volumes")
    for resource in declared.resources:
        assert not [text for text in plain_strings(resource.inputs) if api_key in text], resource.name


def test_loadgen_containers_are_one_shot_on_the_frontend_only(declared):
    for name, container in loadgen_containers(declared).items():
        assert [n["name"] for n in container["networksAdvanced"]] == ["lg-frontend"], name
        assert not container.get("ports"), name
        # A run that finishes exits on purpose: no restart, and nothing waits for it to be healthy.
        assert container["restart"] == "no", name
        assert not container.get("wait"), name
        # Still a healthcheck (master: accepting workers; worker: connected), for docker ps and drills.
        assert container["healthcheck"]["tests"][:3] == ["CMD", "python", "-c"], name
        assert int(container["memory"]) == 256, name
        labels = {item["label"]: item["value"] for item in container["labels"]}
        index = {} if name == "lg-loadgen" else {"proving-ground.index": name.rsplit("-", 1)[1]}
        assert labels == {"proving-ground.stack": "lg", "proving-ground.role": "loadgen", **index}, name


def test_reports_volume_and_outputs(declared):
    [volume] = [v.inputs for v in declared.of_type(VOLUME) if v.inputs["name"] == "lg-loadgen-data"]
    assert {item["label"]: item["value"] for item in volume["labels"]}["proving-ground.role"] == "loadgen"
    assert declared.outputs["volumes"]["loadgen"] == "lg-loadgen-data"
    hint = declared.outputs["loadgenReports"]
    assert hint["container"] == "lg-loadgen"
    assert hint["volume"] == "lg-loadgen-data"
    assert hint["path"] == "/reports"
    assert hint["gate"].endswith("scripts/load --profile smoke --gate-only reports/load/lg-loadgen")
    assert "loadgenReports" not in declared.secret_outputs


@pytest.mark.parametrize(
    ("config_from", "build_args"),
    [("ci", {"BASE_IMAGE": "proving-ground/debian-base:bookworm"}), ("dev", {})],
)
def test_image_is_built_from_load_on_the_stack_base(declare_stack, config_from, build_args):
    declared = declare_stack("lg-img", config_from=config_from, loadgenEnabled="true")
    [image] = [
        i.inputs
        for i in declared.of_type(IMAGE)
        if i.inputs["name"].startswith("proving-ground/lg-img-loadgen:")
    ]
    assert image["build"]["context"].endswith("/load")
    # build: the local Debian base; registry: no BASE_IMAGE, so the Dockerfile's default base.
    assert image["build"].get("buildArgs", {}) == build_args
    assert image["name"].endswith(":" + image["triggers"]["contextHash"])
    ids = {c["image"] for c in loadgen_containers(declared).values()}
    assert len(ids) == 1


def test_profile_names_are_the_load_suites():
    assert set(typing.get_args(LoadProfile)) == set(PROFILES)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("loadgenEnabled", "maybe", "valid boolean"),
        ("loadgenWorkers", "0", "greater than or equal to 1"),
        ("loadgenWorkers", "9", "less than or equal to 8"),
        ("loadgenProfile", "heavy", "'smoke', 'baseline', 'stress', 'spike' or 'soak'"),
        ("loadgenMemory", "lots", "size like 64m or 1g"),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(key, value, message):
    with pytest.raises(ConfigError) as caught:
        parse_settings("t", {key: value})
    [problem] = caught.value.problems
    assert problem.startswith(f"proving-ground:{key}")
    assert message in problem
    assert repr(value) in problem


def test_not_with_tls():
    with pytest.raises(ConfigError) as caught:
        parse_settings("t", {"loadgenEnabled": "true", "tlsEnabled": "true"})
    [problem] = caught.value.problems
    assert problem.startswith("proving-ground:loadgenEnabled, tlsEnabled:")
    assert "set one of them to false" in problem


def test_nothing_is_declared_when_a_loadgen_value_is_invalid(declare_stack):
    with pytest.raises(ConfigError):
        declare_stack("lg-bad", config_from="ci", loadgenEnabled="true", loadgenWorkers="20")


class FinishedContainer:
    """Enough of docker's Container for `wait_healthy`: a one-shot job that has already exited."""

    def __init__(self) -> None:
        self.name = "lg-loadgen"
        self.attrs = {"State": {"Status": "exited", "ExitCode": 1, "Health": {"Status": "unhealthy"}}}

    def reload(self) -> None:
        pass

    def logs(self, tail: int) -> bytes:
        return b"Shutting down (exit code 1)"


def test_offline_up_counts_a_finished_one_shot_container_as_done():
    # Its exit code is the gate's business (a run with failed requests exits 1), not the stack's health.
    wait_healthy(FinishedContainer(), timeout=1, may_finish=True)
    with pytest.raises(RuntimeError, match="lg-loadgen exited with code 1; its last log lines"):
        wait_healthy(FinishedContainer(), timeout=1)
