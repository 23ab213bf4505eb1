"""Networks and volumes, created on the local engine the way the Docker provider would."""

from __future__ import annotations

import secrets
from typing import Any

import docker
from docker.types import IPAMConfig, IPAMPool

from kit.engine.offline.values import Inputs


def auto_name(logical_name: str) -> str:
    """Pulumi's auto-naming: the logical name plus a random suffix, so names never collide."""
    return f"{logical_name}-{secrets.token_hex(4)}"


def create_network(client: docker.DockerClient, name: str, inputs: Inputs) -> tuple[str, dict[str, Any]]:
    net_name = inputs.get("name") or auto_name(name)
    pools = []
    for ipam in inputs.blocks("ipamConfigs"):
        pools.append(
            IPAMPool(
                subnet=ipam.get("subnet"),
                gateway=ipam.get("gateway"),
                iprange=ipam.get("ipRange"),
                aux_addresses=ipam.get("auxAddress"),
            )
        )
        ipam.done()
    network = client.networks.create(
        net_name,
        driver=inputs.get("driver", "bridge"),
        internal=inputs.get("internal", False),
        attachable=inputs.get("attachable", False),
        enable_ipv6=inputs.get("ipv6", False),
        options=inputs.get("options"),
        labels=inputs.labels(),
        ipam=IPAMConfig(pool_configs=pools) if pools else None,
    )
    inputs.ignore("checkDuplicate")
    inputs.done()
    return network.id, {"name": net_name, "driver": inputs.get("driver", "bridge"), "scope": "local"}


def create_volume(client: docker.DockerClient, name: str, inputs: Inputs) -> tuple[str, dict[str, Any]]:
    vol_name = inputs.get("name") or auto_name(name)
    volume = client.volumes.create(
        vol_name,
        driver=inputs.get("driver", "local"),
        driver_opts=inputs.get("driverOpts"),
        labels=inputs.labels(),
    )
    inputs.done()
    return vol_name, {
        "name": vol_name,
        "driver": inputs.get("driver", "local"),
        "mountpoint": volume.attrs.get("Mountpoint", ""),
    }
