"""Postgres: one container on the backend network, data in a named volume kept on delete."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from infra.components._container import Placement, data_volume, healthcheck, role_container
from infra.components._secrets import password
from infra.topology import POSTGRES, container_name


@dataclass(frozen=True, kw_only=True)
class PostgresArgs:
    placement: Placement
    backend_network: pulumi.Input[str]
    user: str
    database: str
    memory_mib: int
    password: pulumi.Output[str] | None = None  # None: generate one


class Postgres(pulumi.ComponentResource):
    container: docker.Container
    password: pulumi.Output[str]
    host: str
    port: int
    user: str
    database: str
    volume_name: pulumi.Output[str]

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Postgres", name, None, opts)
        stack = args.placement.stack
        self.host, self.port = container_name(stack, POSTGRES), POSTGRES.port
        self.user, self.database = args.user, args.database
        self.password = password(f"{stack}-postgres-password", length=32, given=args.password, parent=self)
        # Data outlives the stack: `pulumi destroy` leaves it; remove it by hand when meant.
        volume = data_volume(stack, POSTGRES, self, retain_on_delete=True)
        self.volume_name = volume.name
        self.container = role_container(
            args.placement,
            POSTGRES,
            self,
            image=args.placement.images.image(POSTGRES, self).image_id,
            envs=[
                f"POSTGRES_USER={args.user}",
                f"POSTGRES_DB={args.database}",
                pulumi.Output.concat("POSTGRES_PASSWORD=", self.password),
            ],
            volume=volume,
            networks=[args.backend_network],
            # Over TCP: during first-start init the entrypoint's temporary server listens only on
            # the socket, so a socket probe would report ready before the real server is up.
            healthcheck=healthcheck(
                ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-U", args.user, "-d", args.database],
                start_period="30s",
            ),
            memory=args.memory_mib,
            shm_size=128,
        )
        self.register_outputs({"host": self.host, "port": self.port, "volume": self.volume_name})
