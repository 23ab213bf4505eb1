"""The declared stack, under Pulumi mocks, for each of the dev, ci and production stack files."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra import hardening
from infra.settings import parse_settings
from infra.settings.values import pinned
from infra.topology import ROLES
from tests.unit.conftest import stack_config
from tests.unit.test_components import file_env_is_secret, uploads

STACKS = ("dev", "ci", "production")
CONTAINER = "docker:index/container:Container"

LOOPBACK = "127.0.0.1"
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what production's load balancer is meant to bind
PUBLISHERS_ON_LOOPBACK = {"prometheus", "alertmanager", "grafana"}
ONE_SHOT_ROLES = {"loadgen"}
ALL_ROLES = {"loadgenEnabled": "true", "grafanaEnabled": "true"}


def plain_strings(value: Any) -> Iterator[str]:
    """Every string in `value` that is NOT inside a secret wrapper."""
    if is_rpc_secret(value):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from plain_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from plain_strings(item)


@pytest.mark.parametrize("stack", STACKS)
def test_replica_count_follows_config(declare_stack, stack):
    declared = declare_stack(stack)
    expected = int(declared.outputs["replicas"])
    names = [f"{stack}-api-{index}" for index in range(expected)]
    assert declared.outputs["apiReplicas"] == names
    # Registration order is not deterministic (the mock monitor uses a thread pool): compare as sets.
    assert {name for name in declared.containers if declared.role(name) == "api"} == set(names)


@pytest.mark.parametrize("replicas", ["1", "5"])
def test_replica_override_changes_replicas_and_never_the_load_balancer(declare_stack, replicas):
    """Scaling must not replace the load balancer (its published port would go away): its inputs
    do not name the replicas; it finds them by their shared alias (infra/configs/nginx)."""
    declared = declare_stack("e2e-replicas", config_from="ci", replicas=replicas)
    api = [name for name in declared.containers if declared.role(name) == "api"]
    assert len(api) == int(replicas)
    two = declare_stack("e2e-replicas", config_from="ci", replicas="2")
    assert declared.containers["e2e-replicas-lb"] == two.containers["e2e-replicas-lb"]
    assert all(
        net["aliases"] == ["api"] for name in api for net in declared.containers[name]["networksAdvanced"]
    )


@pytest.mark.parametrize("stack", STACKS)
def test_api_replicas_roll_one_at_a_time_and_every_container_is_replaced_delete_first(declare_stack, stack):
    """Fixed names: the engine must delete the old container before creating its replacement; each
    replica waits for the one before it; deleting one stops it gracefully (drain, then grace)."""
    declared = declare_stack(stack)
    for name, inputs in declared.containers.items():
        assert declared.options[name].delete_before_replace, name
        assert inputs["destroyGraceSeconds"] == inputs["stopTimeout"] >= 10, name
    api = [f"{stack}-api-{index}" for index in range(int(declared.outputs["replicas"]))]
    assert declared.depends_on(api[0]) == []
    for before, after in itertools.pairwise(api):
        assert declared.depends_on(after) == [before]


@pytest.mark.parametrize("stack", STACKS)
def test_api_postgres_redis_and_exporters_only_on_backend(declare_stack, stack):
    declared = declare_stack(stack)
    for name, container in declared.containers.items():
        networks = [network["name"] for network in container["networksAdvanced"]]
        if declared.role(name) in {"lb", *PUBLISHERS_ON_LOOPBACK}:
            assert networks == [f"{stack}-frontend", f"{stack}-backend"], name
        else:
            assert networks == [f"{stack}-backend"], name


@pytest.mark.parametrize("stack", STACKS)
def test_backend_network_is_internal_and_both_are_labelled(declare_stack, stack):
    networks = {
        n.inputs["name"]: n.inputs for n in declare_stack(stack).of_type("docker:index/network:Network")
    }
    assert networks[f"{stack}-backend"]["internal"] is True
    assert networks[f"{stack}-frontend"].get("internal", False) is False
    for kind in ("backend", "frontend"):
        labels = {item["label"]: item["value"] for item in networks[f"{stack}-{kind}"]["labels"]}
        assert labels == {"proving-ground.stack": stack, "proving-ground.role": kind}


@pytest.mark.parametrize("stack", STACKS)
def test_only_nginx_publishes_beyond_loopback_and_datastores_never(declare_stack, stack):
    declared = declare_stack(stack)
    for name, container in declared.containers.items():
        role, ports = declared.role(name), container.get("ports") or []
        if role == "lb":
            assert {int(port["internal"]) for port in ports} <= {8080, 8443}  # unprivileged, inside
        elif role in PUBLISHERS_ON_LOOPBACK:
            assert ports, name
            assert all(port["ip"] == LOOPBACK for port in ports), name
        else:
            assert not ports, f"{name} ({role}) must not publish ports"


@pytest.mark.parametrize(
    ("stack", "overrides"), [*((s, {}) for s in STACKS), ("ci", {"loadgenEnabled": "true"})]
)
def test_every_container_has_healthcheck_restart_policy_labels_and_memory_limit(
    declare_stack, stack, overrides
):
    declared = declare_stack(stack, **overrides)
    assert len(declared.containers) >= 9
    for name, container in declared.containers.items():
        assert container["healthcheck"]["tests"], name
        # One-shot jobs (the optional load generator) exit when their run is over, on purpose:
        # restart "no" and nothing waits for them. Every service restarts and is waited for.
        one_shot = declared.role(name) in ONE_SHOT_ROLES
        assert container.get("restart", "no") == ("no" if one_shot else "unless-stopped"), name
        assert container.get("wait", False) is not one_shot, name
        assert int(container["memory"]) > 0, name
        labels = {item["label"]: item["value"] for item in container["labels"]}
        assert labels["proving-ground.stack"] == stack, name


@pytest.mark.parametrize("stack", STACKS)
def test_container_and_volume_names_follow_the_design(declare_stack, stack):
    declared = declare_stack(stack)
    for name in declared.containers:
        role = declared.role(name)
        assert name == (name if role == "api" else f"{stack}-{role}")
    volumes = [v.inputs["name"] for v in declared.of_type("docker:index/volume:Volume")]
    assert f"{stack}-postgres-data" in volumes
    assert set(declared.outputs["volumes"].values()) == set(volumes)


def test_api_replicas_get_their_settings(declare_stack):
    declared = declare_stack("production")
    for name in declared.outputs["apiReplicas"]:
        api = declared.containers[name]
        assert float(api["cpus"]) == 1.0
        assert api["healthcheck"]["tests"] == ["CMD", "python", "-m", "app.healthcheck", "/health/ready"]
        env = [unwrap_rpc_secret(item) for item in unwrap_rpc_secret(api["envs"])]
        assert f"REPLICA_ID={name}" in env
        assert "ENVIRONMENT=production" in env
        assert "MAX_BODY_BYTES=1048576" in env


@pytest.mark.parametrize(("stack", "overrides"), [*((s, {}) for s in STACKS), ("dev", ALL_ROLES)])
def test_every_container_is_hardened_as_the_policy_says(declare_stack, stack, overrides):
    """infra/hardening.py, as declared; tests/infra/test_hardening.py reads it back from Docker."""
    declared = declare_stack(stack, **overrides)
    settings = parse_settings(
        stack, {**stack_config(stack), **{f"proving-ground:{k}": v for k, v in overrides.items()}}
    )
    for name, container in declared.containers.items():
        role = ROLES[declared.role(name)]
        assert container["user"] == role.user, name
        assert container["readOnly"] is True, name
        assert container["capabilities"] == {"drops": ["ALL"]}, name
        assert container["securityOpts"] == ["no-new-privileges:true"], name
        assert container.get("tmpfs", {}) == hardening.tmpfs(role.name), name
        ulimits = {item["name"]: (item["soft"], item["hard"]) for item in container["ulimits"]}
        assert ulimits == {k: (v, v) for k, v in hardening.ulimits(role.name).items()}, name
        assert ulimits["nproc"] == (hardening.PROCESS_LIMIT, hardening.PROCESS_LIMIT), name
        limits = settings.limits()[role.limits]
        assert (float(container["cpus"]), int(container["memory"])) == (limits.cpus, limits.memory), name
        assert "privileged" not in container, name
        assert "uploads" not in container, name


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_never_appear_unencrypted(declare_stack, stack):
    declared = declare_stack(stack)
    assert declared.generated_secrets
    for resource in declared.resources:
        for text in plain_strings(resource.inputs):
            leaked = [secret for secret in declared.generated_secrets if secret in text]
            assert not leaked, (
                f"{resource.typ} {resource.name} has a secret in a non-secret input: {text[:80]}"
            )
    for key, value in declared.outputs.items():
        if key not in declared.secret_outputs:
            assert not any(secret in str(value) for secret in declared.generated_secrets), key
    expected_secret = {"apiKey", "postgresPassword", "postgresAdminPassword", "redisPassword"}
    if declared.outputs.get("grafanaUrl"):
        expected_secret.add("grafanaAdminPassword")
    assert declared.secret_outputs == expected_secret


@pytest.mark.parametrize("stack", STACKS)
def test_images_are_pinned_or_content_tagged(declare_stack, stack):
    declared = declare_stack(stack)
    images = declared.of_type("docker:index/remoteImage:RemoteImage")
    assert images
    for image in images:
        ref = image.inputs["name"]
        assert pinned(ref), ref
        if "build" in image.inputs:
            assert image.inputs["triggers"]["contextHash"] in ref
            labels = image.inputs["build"]["labels"]
            assert labels["proving-ground.stack"] == stack
    images_by_id = {f"sha256:{i.name}" for i in images}
    assert images_by_id  # every container runs one of them:
    ids = {c["image"] for c in declared.containers.values()}
    assert len(ids) <= len(images)


def test_outputs_follow_the_design(declare_stack):
    declared = declare_stack("ci")
    outputs = declared.outputs
    assert outputs["stack"] == "ci"
    assert outputs["imageSource"] == "build"
    assert outputs["lbUrl"] == "http://127.0.0.1:18080"
    assert outputs["prometheusUrl"] == "http://127.0.0.1:19090"
    assert outputs["alertmanagerUrl"] == "http://127.0.0.1:19093"
    assert "grafanaUrl" not in outputs
    assert outputs["networks"] == {"backend": "ci-backend", "frontend": "ci-frontend"}
    assert outputs["postgres"] == {"user": "app", "database": "app", "host": "ci-postgres", "port": 5432}
    assert outputs["containers"]["api"] == ["ci-api-0", "ci-api-1"]
    assert outputs["containers"]["lb"] == "ci-lb"
    assert "grafana" not in outputs["containers"]
    assert outputs["apiKey"] in declared.generated_secrets


def test_production_serves_tls_on_all_interfaces(declare_stack):
    declared = declare_stack("production")
    assert declared.outputs["lbUrl"] == "https://api.example.com:8443"
    lb = declared.containers["production-lb"]
    published = {(port["ip"], int(port["internal"]), int(port["external"])) for port in lb["ports"]}
    assert published == {(ALL_INTERFACES, 8080, 8080), (ALL_INTERFACES, 8443, 8443)}
    assert {"/etc/nginx/tls/tls.crt", "/etc/nginx/tls/tls.key"} <= set(uploads(lb))
    assert file_env_is_secret(lb, "/etc/nginx/tls/tls.key")
    assert declared.of_type("tls:index/selfSignedCert:SelfSignedCert")


def test_postgres_volume_is_kept_on_delete(declare_stack):
    declared = declare_stack("dev")
    volume = next(v for v in declared.of_type("docker:index/volume:Volume") if v.name == "dev-postgres-data")
    assert volume.inputs["name"] == "dev-postgres-data"
    # retain_on_delete is a resource option, checked on the program side:
    assert declared.containers["dev-postgres"]["volumes"][0]["containerPath"] == "/var/lib/postgresql/data"


def test_only_the_declared_resource_types(declare_stack):
    types = {
        r.typ for stack in STACKS for r in declare_stack(stack).resources if "proving-ground:" not in r.typ
    }
    assert types <= {
        CONTAINER,
        "docker:index/network:Network",
        "docker:index/volume:Volume",
        "docker:index/remoteImage:RemoteImage",
        "random:index/randomPassword:RandomPassword",
        "tls:index/privateKey:PrivateKey",
        "tls:index/selfSignedCert:SelfSignedCert",
    }
