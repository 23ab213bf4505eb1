"""Docker objects of a stack in a form two engines' stacks can be compared in.

The stack's name is replaced by `<stack>` everywhere, host ports (each stack has its own) are left
out, and env values are reduced to their keys (generated secrets differ by design). Built image
tags keep their content hash, so the same tree must give the same image under both engines.
"""

from __future__ import annotations

from typing import Any

import docker

from kit.contract import stack_selector

HOST_CONFIG = (
    "CapAdd", "CapDrop", "Memory", "MemorySwap", "NanoCpus", "PidsLimit", "Privileged",
    "ReadonlyRootfs", "RestartPolicy", "SecurityOpt", "ShmSize", "Tmpfs", "Ulimits",
)  # fmt: skip
# Differences that are not defects, each with its reason (docs/operations.md lists them too).
KNOWN_DIFFERENCES = {
    "HostConfig.NetworkMode": "the provider creates a container on the default bridge and then moves it "
    "to networksAdvanced; the offline provisioner creates it on the first of them: the attached "
    "networks and aliases, which are compared, are the same",
    "HostConfig.Binds": "the provider mounts named volumes as binds, the offline provisioner with the "
    "Mounts API: the mounts, which are compared, are the same",
}


def _neutral(value: Any, stack: str) -> Any:
    if isinstance(value, str):
        return value.replace(stack, "<stack>")
    if isinstance(value, list | tuple):
        return [_neutral(item, stack) for item in value]
    if isinstance(value, dict):
        return {_neutral(key, stack): _neutral(item, stack) for key, item in value.items()}
    return value


def _container(attrs: dict[str, Any], image_tags: list[str]) -> dict[str, Any]:
    config, host = attrs["Config"], attrs["HostConfig"]
    networks = attrs["NetworkSettings"]["Networks"]
    short_id = attrs["Id"][:12]  # Docker adds it as an alias on every network
    return {
        "image": sorted(image_tags),
        "hostname": config.get("Hostname"),
        "user": config.get("User"),
        "cmd": config.get("Cmd"),
        "entrypoint": config.get("Entrypoint"),
        "env_keys": sorted(item.split("=", 1)[0] for item in config.get("Env") or []),
        "labels": {k: v for k, v in (config.get("Labels") or {}).items() if k.startswith("proving-ground.")},
        "healthcheck": config.get("Healthcheck"),
        "mounts": sorted(
            (m["Type"], m.get("Name") or m.get("Source"), m["Destination"]) for m in attrs["Mounts"]
        ),
        "networks": {
            name: sorted(alias for alias in net.get("Aliases") or [] if alias != short_id)
            for name, net in networks.items()
        },
        "published": sorted(
            (port, binding["HostIp"])
            for port, bindings in (host.get("PortBindings") or {}).items()
            for binding in bindings or []
        ),
        "host": {key: host.get(key) for key in HOST_CONFIG},
    }


def comparable(client: docker.DockerClient, stack: str) -> dict[str, dict[str, Any]]:
    found = {}
    for container in client.containers.list(all=True, filters=stack_selector(stack)):
        tags = client.images.get(container.attrs["Image"]).tags
        # A built image shared by several stacks carries each one's tag: keep this stack's.
        tags = [tag for tag in tags if f"/{stack}-" in tag] or tags
        found[str(container.name)] = _container(container.attrs, tags)
    return {_neutral(name, stack): _sorted(_neutral(spec, stack)) for name, spec in found.items()}


def _sorted(spec: dict[str, Any]) -> dict[str, Any]:
    """Order-free fields sorted after the stack name is replaced (it changes their order)."""
    for key in ("image", "env_keys", "mounts", "published"):
        spec[key] = sorted(spec[key])
    spec["networks"] = {name: sorted(aliases) for name, aliases in spec["networks"].items()}
    return spec


def differences(first: dict[str, dict[str, Any]], second: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"{name}: only under one engine" for name in sorted(set(first) ^ set(second))]
    for name in sorted(set(first) & set(second)):
        for key in first[name]:
            if first[name][key] != second[name].get(key):
                lines.append(f"{name}.{key}: {first[name][key]!r} != {second[name].get(key)!r}")
    return lines
