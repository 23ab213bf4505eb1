"""The one container policy: every container of the stack is created by `role_container`.

Name, hostname, network alias and user come from the role (infra/topology.py), labels from the
contract (kit/contract.py), the hardening (capabilities, no-new-privileges, read-only rootfs with
its tmpfs mounts, ulimits) from infra/hardening.py, CPU and memory limits from the settings, and
the restart and wait policy from whether it is a service or a one-shot job. Components pass only
what is their own: image, entry point and command, env, files.

Files reach a container through its environment, not uploads: Docker refuses to copy into a
read-only rootfs. A POSIX sh preamble writes each one into its role's tmpfs, then execs the
tool (`entrypoint` + `command`), so every image with /bin/sh takes them, upstream or built.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import pulumi
import pulumi_docker as docker

from infra import hardening
from infra.components._images import ImageChoice
from infra.settings.model import ResourceLimits
from infra.topology import Role, container_name, volume_name
from kit.contract import labels

RESTART_POLICY = "unless-stopped"
# How long a container may take to stop on SIGTERM (or its image's stop signal) before it is killed,
# both for `docker stop` and when the engine deletes it (the provider's default there is 0: SIGKILL
# at once, which would cut a replica's in-flight requests and crash-stop PostgreSQL).
STOP_SECONDS = 10
ONE_SHOT = "no"  # a job that runs once and exits: never restarted, never waited for
FILE_ENV_PREFIX = "STACK_FILE_"  # STACK_FILE_<i>: the content of the i-th file (sorted by path)
# The kernel's limit on one environment string (MAX_ARG_STRLEN, 32 pages), less room for the name.
MAX_FILE_BYTES = 128 * 1024 - 64


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
    limits: Mapping[str, ResourceLimits]  # by `Role.limits` (Settings.limits)
    roster: list[Member] = field(default_factory=list)

    def members(self, role: Role) -> list[Member]:
        return [member for member in self.roster if member.role is role]


def _label_args(stack: str, role: str, index: int | None = None) -> list[docker.ContainerLabelArgs]:
    return [docker.ContainerLabelArgs(label=k, value=v) for k, v in labels(stack, role, index).items()]


def _within(path: str, directory: str) -> bool:
    return posixpath.commonpath([path, directory]) == directory


@dataclass(frozen=True)
class FileDelivery:
    """How `files` reach a container: an entry point that writes them, then execs the program."""

    entrypoint: list[str]
    command: list[str]
    envs: list[pulumi.Input[str]]


def _checked_size(path: str, content: str) -> str:
    if len(content.encode()) > MAX_FILE_BYTES:
        raise ValueError(f"{path}: {len(content.encode())} bytes, more than one environment entry takes")
    return content


def file_delivery(
    role: Role,
    files: Mapping[str, pulumi.Input[str]],
    program: Sequence[str],
    directories: Sequence[str] = (),
) -> FileDelivery:
    """`files` (absolute path -> content) written into the role's tmpfs mounts, with `directories`
    (empty ones the tool looks into), then `program` runs."""
    writable = hardening.tmpfs(role.name)
    for path in [*files, *directories]:
        if not any(_within(path, directory) for directory in writable):
            mounts = ", ".join(writable) or "none"
            raise ValueError(
                f"role {role.name}: {path} is not on one of its tmpfs mounts ({mounts}); "
                "declare one in infra/hardening.py"
            )
    if not program:
        raise ValueError(f"role {role.name}: files need the program to exec after writing them")
    paths = sorted(files)
    names = [f"{FILE_ENV_PREFIX}{index}" for index in range(len(paths))]
    made = sorted({*directories, *(posixpath.dirname(path) for path in paths)})
    script = [
        "set -eu",
        "umask 077",  # read by the tool only, which runs as the same user that writes them
        f"mkdir -p {' '.join(shlex.quote(d) for d in made)}",
        *(f'printf %s "${name}" >{shlex.quote(path)}' for name, path in zip(names, paths, strict=True)),
        f"unset {' '.join(names)}",
        'exec "$@"',
    ]
    envs: list[pulumi.Input[str]] = [
        pulumi.Output.concat(
            f"{name}=", pulumi.Output.from_input(files[path]).apply(partial(_checked_size, path))
        )
        for name, path in zip(names, paths, strict=True)
    ]
    return FileDelivery(["/bin/sh", "-c", "\n".join(script), "write-files"], list(program), envs)


def role_container(
    placement: Placement,
    role: Role,
    parent: pulumi.Resource,
    *,
    image: pulumi.Input[str],
    networks: Sequence[pulumi.Input[str]],
    healthcheck: docker.ContainerHealthcheckArgs,
    index: int | None = None,
    entrypoint: Sequence[str] | None = None,
    command: Sequence[str] | None = None,
    envs: Sequence[pulumi.Input[str]] | None = None,
    files: Mapping[str, pulumi.Input[str]] | None = None,
    directories: Sequence[str] = (),
    volume: docker.Volume | None = None,
    ports: Sequence[docker.ContainerPortArgs] = (),
    one_shot: bool = False,
    depends_on: Sequence[pulumi.Resource] = (),
    shm_size: int | None = None,
    stop_seconds: int = STOP_SECONDS,
) -> docker.Container:
    """A container `<stack>-<role>[-<index>]`; the first network is the one ports publish through.

    Its name is fixed, so a change that replaces it deletes the old container first (the engine
    would otherwise create the new one beside it, under the same name). What keeps traffic flowing
    meanwhile is the caller's: the API replicas replace one at a time behind the load balancer.

    With `files`, `entrypoint` is the image's own entry point (the preamble replaces it and execs
    `entrypoint + command`); `directories` are made beside them. Inputs a role does not use stay
    unset (not empty), as the engine's state records them.
    """
    name = container_name(placement.stack, role, index)
    root = not role.user or role.user.split(":")[0] in ("0", "root")
    if root and hardening.must_be_non_root(role.name):
        raise ValueError(f"role {role.name}: declare the non-root user it runs as in infra/topology.py")
    limits = placement.limits[role.limits]
    all_envs: list[pulumi.Input[str]] = list(envs or [])
    entrypoints = list(entrypoint) if entrypoint is not None else None
    program = list(command) if command is not None else None
    if files:
        delivery = file_delivery(role, files, [*(entrypoint or []), *(command or [])], directories)
        entrypoints, program = delivery.entrypoint, delivery.command
        all_envs.extend(delivery.envs)
    mounts = (
        [docker.ContainerVolumeArgs(volume_name=volume.name, container_path=role.data_dir)] if volume else []
    )
    tmpfs = hardening.tmpfs(role.name)
    drops, adds = hardening.cap_drop(role.name), hardening.cap_add(role.name)
    container = docker.Container(
        name,
        name=name,
        hostname=name,
        image=image,
        entrypoints=entrypoints,
        command=program,
        envs=all_envs or None,
        volumes=mounts or None,
        ports=list(ports) or None,
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(name=network, aliases=[role.name]) for network in networks
        ],
        healthcheck=healthcheck,
        labels=_label_args(placement.stack, role.name, index),
        memory=limits.memory,
        # Swap = memory: no swap beyond the limit. Unset, Docker makes it twice the memory, the
        # provider reads that back, and every later preview shows a diff.
        memory_swap=limits.memory,
        cpus=str(limits.cpus),
        restart=ONE_SHOT if one_shot else RESTART_POLICY,
        # A finished job exits, by design: nothing waits for it to be healthy.
        wait=None if one_shot else True,
        wait_timeout=None if one_shot else placement.wait_timeout_seconds,
        user=role.user or None,
        read_only=hardening.read_only(role.name),
        tmpfs=tmpfs or None,
        capabilities=(
            docker.ContainerCapabilitiesArgs(drops=drops or None, adds=adds or None)
            if drops or adds
            else None
        ),
        security_opts=hardening.security_opts(role.name) or None,
        ulimits=[
            docker.ContainerUlimitArgs(name=limit, soft=value, hard=value)
            for limit, value in sorted(hardening.ulimits(role.name).items())
        ]
        or None,
        shm_size=shm_size,
        stop_timeout=stop_seconds,
        destroy_grace_seconds=stop_seconds,
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=list(depends_on) or None, delete_before_replace=True
        ),
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
