"""`docker.Container`: create, upload files, connect networks, start, and wait until healthy."""

from __future__ import annotations

import time
from typing import Any

import docker
from docker.models.containers import Container

from kit.engine.offline.container_spec import container_spec
from kit.engine.offline.values import Inputs

WAIT_POLL_SECONDS = 0.25
LOG_TAIL_LINES = 30


def _last_logs(container: Container) -> str:
    return bytes(container.logs(tail=LOG_TAIL_LINES)).decode(errors="replace").rstrip()


def wait_healthy(container: Container, timeout: float, *, may_finish: bool = False) -> None:
    """Polls until the container is healthy (or running, without a healthcheck); else raises with logs.

    `may_finish`: a one-shot job that has already exited is done, whatever its exit code (what it
    produced is judged elsewhere, e.g. a load run's record by its gate), not a broken service.
    """
    deadline = time.monotonic() + timeout
    while True:
        container.reload()
        state = container.attrs["State"]
        health = (state.get("Health") or {}).get("Status")
        if may_finish and state["Status"] == "exited":
            return
        if state["Status"] in ("exited", "dead"):
            problem = f"exited with code {state.get('ExitCode')}"
        elif health == "unhealthy":
            problem = "is unhealthy"
        elif health in ("healthy", None) and state["Status"] == "running":
            return
        elif time.monotonic() > deadline:
            problem = f"is not healthy after {timeout:.0f} s (status {state['Status']}, health {health})"
        else:
            time.sleep(WAIT_POLL_SECONDS)
            continue
        raise RuntimeError(
            f"container {container.name} {problem}; its last log lines:\n{_last_logs(container)}"
        )


def _network_datas(container: Container) -> list[dict[str, Any]]:
    """The provider's `networkDatas` output."""
    return [
        {"networkName": network, "ipAddress": data.get("IPAddress"), "gateway": data.get("Gateway"),
         "macAddress": data.get("MacAddress"), "ipPrefixLength": data.get("IPPrefixLen")}
        for network, data in container.attrs["NetworkSettings"]["Networks"].items()
    ]  # fmt: skip


def create_container(client: docker.DockerClient, name: str, inputs: Inputs) -> tuple[str, dict[str, Any]]:
    spec = container_spec(name, inputs, client.api.create_endpoint_config)
    container = client.containers.create(**spec.create_kwargs)
    if spec.upload_archive is not None:
        container.put_archive("/", spec.upload_archive)
    for extra in spec.extra_networks:
        client.networks.get(extra.name).connect(
            container, aliases=extra.aliases, ipv4_address=extra.ipv4_address
        )
    container.start()
    if spec.wait:
        wait_healthy(container, spec.wait_timeout)
    container.reload()
    return str(container.id), {
        "name": spec.name,
        "networkDatas": _network_datas(container),
        "exitCode": None,
        "bridge": "",
        "containerLogs": None,
    }
