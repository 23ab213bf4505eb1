"""Network: an internal backend network and a frontend network for what publishes ports."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from infra.topology import network_name
from kit.contract import labels


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    stack: str


class Network(pulumi.ComponentResource):
    backend: docker.Network
    frontend: docker.Network

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # `internal`: no route out of the host, so API, datastores and exporters are unreachable
        # from outside and cannot reach out; only containers also on `frontend` can publish ports.
        self.backend = self._network(args.stack, "backend", internal=True, opts=child)
        self.frontend = self._network(args.stack, "frontend", internal=False, opts=child)
        self.register_outputs({"backend": self.backend.name, "frontend": self.frontend.name})

    @staticmethod
    def _network(stack: str, kind: str, *, internal: bool, opts: pulumi.ResourceOptions) -> docker.Network:
        return docker.Network(
            network_name(stack, kind),
            name=network_name(stack, kind),
            driver="bridge",
            internal=internal,
            labels=[
                docker.NetworkLabelArgs(label=key, value=value) for key, value in labels(stack, kind).items()
            ],
            opts=opts,
        )
