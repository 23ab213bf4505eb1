"""Every container: running and healthy, restarts on failure, publishes only what it should, holds only
its own secrets. (Users, capabilities and the rest of the hardening: test_hardening.py.)"""

from __future__ import annotations

from urllib.parse import quote

from tests.infra.stack import StackUnderTest, engine

# One-shot containers (the optional Locust load generator) run a profile and exit; restarting
# them would replay the load, so they have restart policy "no" and may have exited.
ONE_SHOT_ROLES = {"loadgen"}
# role -> outputs key of the URL its published port serves; the LB is checked on its own.
PUBLISHED_URL = {"prometheus": "prometheusUrl", "alertmanager": "alertmanagerUrl", "grafana": "grafanaUrl"}
# Which roles may hold which secret in their environment (by outputs key).
SECRET_HOLDERS = {
    "postgresPassword": {"postgres", "api"},  # the API's role; the exporter has its own
    "postgresAdminPassword": {"postgres"},  # the superuser's: the server's own init only
    "redisPassword": {"api"},  # Redis itself has only its hash (an ACL user line)
    "grafanaAdminPassword": {"grafana"},
    "apiKey": {"loadgen"},  # the API gets only its SHA-256; the load generator sends it
}


def test_running_and_healthy(stack: StackUnderTest, container: str) -> None:
    state = engine().containers.get(container).attrs["State"]
    if stack.containers[container] in ONE_SHOT_ROLES and state["Status"] == "exited":
        return  # done with its run; the load gate judges the outcome
    assert state["Status"] == "running", f"{container} is {state['Status']}"
    assert (state.get("Health") or {}).get("Status") == "healthy", (
        f"{container} health: {state.get('Health')}"
    )


def test_restarts_when_it_dies(stack: StackUnderTest, container: str) -> None:
    policy = engine().containers.get(container).attrs["HostConfig"]["RestartPolicy"]["Name"]
    if stack.containers[container] in ONE_SHOT_ROLES:
        assert policy in ("no", ""), f"one-shot {container} would replay its load: restart policy '{policy}'"
    else:
        assert policy in ("unless-stopped", "always"), f"{container} restart policy is '{policy}'"


def test_publishes_only_expected_ports(stack: StackUnderTest, container: str) -> None:
    role = stack.containers[container]
    bindings = engine().containers.get(container).attrs["HostConfig"]["PortBindings"] or {}
    published = sorted((b["HostIp"], int(b["HostPort"])) for items in bindings.values() for b in items or [])
    if role == "lb":
        lb_port = stack.published_port("lbUrl")
        assert lb_port in [port for _, port in published], f"lbUrl port {lb_port} not published: {published}"
        assert len(published) <= 2, f"the LB publishes more than HTTP and HTTPS: {published}"
        bind = stack.config.get("lbBindAddress", "127.0.0.1") if stack.config is not None else None
        assert bind is None or {ip for ip, _ in published} == {bind}, f"LB bound on {published}, want {bind}"
    elif role in PUBLISHED_URL and stack.outputs.get(PUBLISHED_URL[role]):
        assert published == [("127.0.0.1", stack.published_port(PUBLISHED_URL[role]))]
    else:
        assert published == [], f"{container} ({role}) publishes {published}"


def test_secrets_stay_out_of_other_environments(stack: StackUnderTest, container: str) -> None:
    role = stack.containers[container]
    env = "\n".join(engine().containers.get(container).attrs["Config"]["Env"] or [])
    leaked = [
        key
        for key, value in stack.secret_values().items()
        if role not in SECRET_HOLDERS.get(key, set()) and (value in env or quote(value, safe="") in env)
    ]
    assert not leaked, f"{container} ({role}) has {', '.join(leaked)} in its environment"


def test_runs_the_declared_number_of_replicas(stack: StackUnderTest) -> None:
    running = engine().containers.list(
        filters={
            "label": [f"proving-ground.stack={stack.name}", "proving-ground.role=api"],
            "status": "running",
        }
    )
    assert len(running) == stack.outputs["replicas"], (
        f"{len(running)} API replicas run, the stack declares {stack.outputs['replicas']}"
    )


def test_volumes_exist(stack: StackUnderTest) -> None:
    client = engine()
    for role, name in stack.outputs["volumes"].items():
        labels = client.volumes.get(name).attrs.get("Labels") or {}
        assert labels.get("proving-ground.stack") == stack.name, f"volume {name} ({role}) labels: {labels}"
