"""Postgres: one container on the backend network, data in a named volume kept on delete."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from infra.components.containers import RESTART_POLICY, container_labels, data_volume, healthcheck, networks
from infra.components.images import image_for
from infra.components.secrets import password
from infra.naming import POSTGRES_PORT, container_name, volume_name
from infra.settings import Settings

DATA_DIR = "/var/lib/postgresql/data"


@dataclass(frozen=True, kw_only=True)
class PostgresArgs:
    settings: Settings
    backend_network: pulumi.Input[str]
    password: pulumi.Output[str] | None = None


class Postgres(pulumi.ComponentResource):
    container: docker.Container
    password: pulumi.Output[str]
    host: str
    volume_name: str

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Postgres", name, None, opts)
        settings, stack = args.settings, args.settings.stack
        self.host = container_name(stack, "postgres")
        self.volume_name = volume_name(stack, "postgres")
        self.password = password(f"{stack}-postgres-password", length=32, given=args.password, parent=self)
        # Data outlives the stack: `pulumi destroy` leaves it; remove it by hand when meant.
        volume = data_volume(stack, "postgres", self, retain_on_delete=True)
        image = image_for(settings, "postgres", self)
        self.container = docker.Container(
            self.host,
            name=self.host,
            hostname=self.host,
            image=image.image_id,
            envs=[
                f"POSTGRES_USER={settings.postgres_user}",
                f"POSTGRES_DB={settings.postgres_database}",
                pulumi.Output.concat("POSTGRES_PASSWORD=", self.password),
            ],
            volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path=DATA_DIR)],
            networks_advanced=networks(args.backend_network, alias="postgres"),
            # Over TCP: during first-start init the entrypoint's temporary server listens only on
            # the socket, so a socket probe would report ready before the real server is up.
            healthcheck=healthcheck(
                [
                    "CMD",
                    "pg_isready",
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    settings.postgres_user,
                    "-d",
                    settings.postgres_database,
                ],
                start_period="30s",
            ),
            labels=container_labels(stack, "postgres"),
            memory=settings.postgres_memory,
            shm_size=128,
            restart=RESTART_POLICY,
            wait=True,
            wait_timeout=settings.wait_timeout_seconds,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"host": self.host, "port": POSTGRES_PORT, "volume": self.volume_name})
