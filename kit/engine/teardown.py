"""Removing a stack: every container, network and volume labelled `proving-ground.stack=<stack>`.

There is no state to diff against, so `down` works from labels alone; built images stay as the
build cache. Containers go first (force-removed in parallel), then the networks and volumes
they held.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import docker
from docker.errors import NotFound

from kit.contract import stack_selector


@dataclass(frozen=True)
class Leftovers:
    containers: list[str]
    networks: list[str]
    volumes: list[str]

    def __bool__(self) -> bool:
        return bool(self.containers or self.networks or self.volumes)

    def describe(self) -> str:
        parts = [
            f"{kind}: {', '.join(names)}"
            for kind, names in (
                ("containers", self.containers),
                ("networks", self.networks),
                ("volumes", self.volumes),
            )
            if names
        ]
        return "; ".join(parts) or "nothing"


def leftovers(client: docker.DockerClient, stack: str) -> Leftovers:
    """What the engine still holds for `stack`."""
    selector = stack_selector(stack)
    return Leftovers(
        containers=sorted(str(c.name) for c in client.containers.list(all=True, filters=selector)),
        networks=sorted(str(n.name) for n in client.networks.list(filters=selector)),
        volumes=sorted(str(v.name) for v in client.volumes.list(filters=selector)),
    )


def _remove_container(client: docker.DockerClient, name: str) -> None:
    with contextlib.suppress(NotFound):  # removed meanwhile, e.g. by a parallel down
        client.containers.get(name).remove(force=True, v=True)


def remove_stack(client: docker.DockerClient, stack: str) -> Leftovers:
    """Removes what `stack` holds; returns what was removed."""
    found = leftovers(client, stack)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda name: _remove_container(client, name), found.containers))
    for name in found.networks:
        with contextlib.suppress(NotFound):
            client.networks.get(name).remove()
    for name in found.volumes:
        with contextlib.suppress(NotFound):
            client.volumes.get(name).remove(force=True)
    return found


def remove_images(client: docker.DockerClient, stack: str) -> list[str]:
    """Untags the images built for `stack` (throw-away stacks); the shared layer cache stays."""
    removed = []
    for image in client.images.list(filters=stack_selector(stack)):
        # noprune: parent layers are the build cache every other stack reuses.
        with contextlib.suppress(NotFound):
            client.images.remove(image.id, force=True, noprune=True)
            removed.extend(image.tags)
    return removed


def remove_untracked_containers(client: docker.DockerClient, stack: str, state: dict[str, Any]) -> list[str]:
    """Removes the stack's containers that its Pulumi state (`pulumi stack export`) does not hold.

    Why: when a new container never becomes healthy, the Docker provider reports the failure but
    the engine records no container, so the next `up` would collide with it on its fixed name.
    Only containers labelled with this stack are looked at.
    """
    tracked = {str(r.get("id")) for r in state.get("deployment", {}).get("resources", []) if r.get("id")}
    removed = []
    for container in client.containers.list(all=True, filters=stack_selector(stack)):
        if container.id not in tracked:
            with contextlib.suppress(NotFound):
                container.remove(force=True)
                removed.append(str(container.name))
    return sorted(removed)
