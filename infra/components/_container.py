"""The one container policy: every container of the stack is created by `role_container`.

Name, hostname and network alias come from the role (infra/topology.py), labels from the
contract (kit/contract.py), and the restart and wait policy from whether it is a service or a
one-shot job. Components pass only what is their own: image, command, env, files, limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from infra.components._images import ImageChoice
from infra.topology import Role, container_name, volume_name
from kit.contract import labels

RESTART_POLICY = "unless-stopped"
ONE_SHOT = "no"  # a job that runs once and exits: never restarted, never waited for


@dataclass(frozen=True)
class Member:
    role: Role
    index: int | None
    container: docker.Container


@dataclass(frozen=True, kw_only=True)
class Placement:
    """What every container of one stack shares: its stack, how long to wait, where images come from,
    and the roster of every container created (the `containers` output is read from it)."""

    stack: str
    wait_timeout_seconds: int
    images: ImageChoice
    roster: list[Member] = field(default_factory=list)

    def members(self, role: Role) -> list[Member]:
        return [member for member in self.roster if member.role is role]


def _label_args(stack: str, role: str, index: int | None = None) -> list[docker.ContainerLabelArgs]:
    return [docker.ContainerLabelArgs(label=k, value=v) for k, v in labels(stack, role, index).items()]


def role_container(
    placement: Placement,
    role: Role,
    parent: pulumi.Resource,
    *,
    image: pulumi.Input[str],
    networks: Sequence[pulumi.Input[str]],
    healthcheck: docker.ContainerHealthcheckArgs,
    memory: int,
    index: int | None = None,
    command: Sequence[str] | None = None,
    envs: Sequence[pulumi.Input[str]] | None = None,
    files: Mapping[str, pulumi.Input[str]] | None = None,
    volume: docker.Volume | None = None,
    ports: Sequence[docker.ContainerPortArgs] = (),
    one_shot: bool = False,
    depends_on: Sequence[pulumi.Resource] = (),
    user: str | None = None,
    read_only: bool | None = None,
    tmpfs: Mapping[str, str] | None = None,
    cpus: float | None = None,
    shm_size: int | None = None,
) -> docker.Container:
    """A container `<stack>-<role>[-<index>]`; the first network is the one ports publish through.

    Inputs a role does not use stay unset (not empty), as the engine's state records them.
    """
    name = container_name(placement.stack, role, index)
    uploads = [
        docker.ContainerUploadArgs(file=path, content=content)
        for path, content in sorted((files or {}).items())
    ]
    mounts = (
        [docker.ContainerVolumeArgs(volume_name=volume.name, container_path=role.data_dir)] if volume else []
    )
    container = docker.Container(
        name,
        name=name,
        hostname=name,
        image=image,
        command=list(command) if command is not None else None,
        envs=list(envs) if envs is not None else None,
        uploads=uploads or None,
        volumes=mounts or None,
        ports=list(ports) or None,
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(name=network, aliases=[role.name]) for network in networks
        ],
        healthcheck=healthcheck,
        labels=_label_args(placement.stack, role.name, index),
        memory=memory,
        # Swap = memory: no swap beyond the limit. Unset, Docker makes it twice the memory, the provider
        # reads that back, and every later preview shows a diff.
        memory_swap=memory,
        restart=ONE_SHOT if one_shot else RESTART_POLICY,
        # A finished job exits, by design: nothing waits for it to be healthy.
        wait=None if one_shot else True,
        wait_timeout=None if one_shot else placement.wait_timeout_seconds,
        user=user,
        read_only=read_only,
        tmpfs=dict(tmpfs) if tmpfs is not None else None,
        cpus=str(cpus) if cpus is not None else None,
        shm_size=shm_size,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on) or None),
    )
    placement.roster.append(Member(role, index, container))
    return container


def data_volume(
    stack: str, role: Role, parent: pulumi.Resource, *, retain_on_delete: bool = False
) -> docker.Volume:
    """The role's named, labelled volume `<stack>-<role>-data` (also its Pulumi resource name)."""
    if role.data_dir is None:
        raise ValueError(f"role {role.name} declares no data_dir in infra/topology.py")
    name = volume_name(stack, role)
    return docker.Volume(
        name,
        name=name,
        labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in labels(stack, role.name).items()],
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=retain_on_delete),
    )


def healthcheck(test: Sequence[str], start_period: str = "10s") -> docker.ContainerHealthcheckArgs:
    return docker.ContainerHealthcheckArgs(
        tests=list(test), interval="5s", timeout="3s", retries=5, start_period=start_period
    )


def http_healthcheck(port: int, path: str) -> docker.ContainerHealthcheckArgs:
    """busybox/GNU-compatible wget: in every Debian-built tool image and the upstream busybox ones."""
    return healthcheck(["CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{path}"])


def loopback_port(internal: int, external: int) -> docker.ContainerPortArgs:
    return docker.ContainerPortArgs(internal=internal, external=external, ip="127.0.0.1", protocol="tcp")
