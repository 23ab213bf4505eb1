"""What every container of the stack shares: labels, restart policy, healthcheck shape, limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_docker as docker

from infra.naming import labels, volume_name

RESTART_POLICY = "unless-stopped"


def container_labels(stack: str, role: str) -> list[docker.ContainerLabelArgs]:
    return [docker.ContainerLabelArgs(label=key, value=value) for key, value in labels(stack, role).items()]


def data_volume(
    stack: str, role: str, parent: pulumi.Resource, *, retain_on_delete: bool = False
) -> docker.Volume:
    """The role's named, labelled volume `<stack>-<role>-data` (also its Pulumi resource name)."""
    name = volume_name(stack, role)
    return docker.Volume(
        name,
        name=name,
        labels=[docker.VolumeLabelArgs(label=key, value=value) for key, value in labels(stack, role).items()],
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=retain_on_delete),
    )


def healthcheck(test: Sequence[str], start_period: str = "10s") -> docker.ContainerHealthcheckArgs:
    return docker.ContainerHealthcheckArgs(
        tests=list(test), interval="5s", timeout="3s", retries=5, start_period=start_period
    )


def http_healthcheck(port: int, path: str) -> docker.ContainerHealthcheckArgs:
    """busybox/GNU-compatible wget: in every Debian-built tool image and the upstream busybox ones."""
    return healthcheck(["CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{path}"])


def networks(*names: pulumi.Input[str], alias: str) -> list[docker.ContainerNetworksAdvancedArgs]:
    return [docker.ContainerNetworksAdvancedArgs(name=name, aliases=[alias]) for name in names]


def loopback_port(internal: int, external: int) -> docker.ContainerPortArgs:
    return docker.ContainerPortArgs(internal=internal, external=external, ip="127.0.0.1", protocol="tcp")


def uploads(files: Mapping[str, pulumi.Input[str]]) -> list[docker.ContainerUploadArgs]:
    return [docker.ContainerUploadArgs(file=path, content=content) for path, content in sorted(files.items())]
