"""Redis: password, append-only persistence, maxmemory and eviction policy, on the backend network."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from infra.components._container import Placement, data_volume, healthcheck, role_container
from infra.components._secrets import password
from infra.configs.redis import CONFIG_PATH, RedisConfig, render_redis_conf
from infra.topology import REDIS, container_name


@dataclass(frozen=True, kw_only=True)
class RedisArgs:
    placement: Placement
    backend_network: pulumi.Input[str]
    config: RedisConfig
    memory_mib: int
    password: pulumi.Output[str] | None = None  # None: generate one


class Redis(pulumi.ComponentResource):
    container: docker.Container
    password: pulumi.Output[str]
    host: str
    port: int
    volume_name: pulumi.Output[str]

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Redis", name, None, opts)
        stack = args.placement.stack
        self.host, self.port = container_name(stack, REDIS), args.config.port
        self.password = password(f"{stack}-redis-password", length=32, given=args.password, parent=self)
        volume = data_volume(stack, REDIS, self)
        self.volume_name = volume.name
        config: pulumi.Output[str] = pulumi.Output.secret(
            self.password.apply(lambda password: render_redis_conf(args.config, password))
        )
        self.container = role_container(
            args.placement,
            REDIS,
            self,
            image=args.placement.images.image(REDIS, self).image_id,
            command=["redis-server", CONFIG_PATH],
            files={CONFIG_PATH: config},
            # redis-cli reads the password from REDISCLI_AUTH, keeping it off the healthcheck's argv.
            envs=[pulumi.Output.concat("REDISCLI_AUTH=", self.password)],
            volume=volume,
            networks=[args.backend_network],
            healthcheck=healthcheck(["CMD-SHELL", "redis-cli ping | grep -q PONG"]),
            memory=args.memory_mib,
        )
        self.register_outputs({"host": self.host, "volume": self.volume_name})
