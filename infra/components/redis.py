"""Redis: password, append-only persistence, maxmemory and eviction policy, on the backend network."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from infra.components.containers import (
    RESTART_POLICY,
    container_labels,
    data_volume,
    healthcheck,
    networks,
    uploads,
)
from infra.components.images import image_for
from infra.components.secrets import password
from infra.naming import container_name, volume_name
from infra.render.redis import CONFIG_PATH, render_redis_conf
from infra.settings import Settings


@dataclass(frozen=True, kw_only=True)
class RedisArgs:
    settings: Settings
    backend_network: pulumi.Input[str]
    password: pulumi.Output[str] | None = None


class Redis(pulumi.ComponentResource):
    container: docker.Container
    password: pulumi.Output[str]
    host: str
    volume_name: str

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Redis", name, None, opts)
        settings, stack = args.settings, args.settings.stack
        self.host = container_name(stack, "redis")
        self.volume_name = volume_name(stack, "redis")
        self.password = password(f"{stack}-redis-password", length=32, given=args.password, parent=self)
        volume = data_volume(stack, "redis", self)
        config: pulumi.Output[str] = pulumi.Output.secret(
            self.password.apply(lambda password: render_redis_conf(settings, password))
        )
        self.container = docker.Container(
            self.host,
            name=self.host,
            hostname=self.host,
            image=image_for(settings, "redis", self).image_id,
            command=["redis-server", CONFIG_PATH],
            uploads=uploads({CONFIG_PATH: config}),
            # redis-cli reads the password from REDISCLI_AUTH, keeping it off the healthcheck's argv.
            envs=[pulumi.Output.concat("REDISCLI_AUTH=", self.password)],
            volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path="/data")],
            networks_advanced=networks(args.backend_network, alias="redis"),
            healthcheck=healthcheck(["CMD-SHELL", "redis-cli ping | grep -q PONG"]),
            labels=container_labels(stack, "redis"),
            memory=settings.redis_memory,
            restart=RESTART_POLICY,
            wait=True,
            wait_timeout=settings.wait_timeout_seconds,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"host": self.host, "volume": self.volume_name})
