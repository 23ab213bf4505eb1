"""Redis: ACL users, append-only persistence, maxmemory and eviction policy, on the backend network.

The API and the exporter each authenticate as their own ACL user (infra/configs/redis); the
default user is disabled. The container holds no plaintext password but the exporter's, which its
healthcheck uses (PING is all the healthcheck needs, and that user may not write).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from infra.components._container import Placement, data_volume, healthcheck, role_container
from infra.components._secrets import password
from infra.configs.redis import CONFIG_PATH, RedisConfig, render_redis_conf
from infra.configs.redis.render import API_USER, EXPORTER_USER
from infra.topology import REDIS, container_name

ENTRYPOINT = ["docker-entrypoint.sh"]  # the image's own (upstream and Debian-built)


@dataclass(frozen=True, kw_only=True)
class RedisArgs:
    placement: Placement
    backend_network: pulumi.Input[str]
    config: RedisConfig
    password: pulumi.Output[str] | None = None  # the API user's; None: generate one


class Redis(pulumi.ComponentResource):
    container: docker.Container
    user: str  # the API's ACL user
    password: pulumi.Output[str]  # its password
    exporter_user: str
    exporter_password: pulumi.Output[str]
    host: str
    port: int
    volume_name: pulumi.Output[str]

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Redis", name, None, opts)
        stack = args.placement.stack
        self.host, self.port = container_name(stack, REDIS), args.config.port
        self.user, self.exporter_user = API_USER, EXPORTER_USER
        self.password = password(f"{stack}-redis-password", length=32, given=args.password, parent=self)
        self.exporter_password = password(f"{stack}-redis-exporter-password", length=32, parent=self)
        volume = data_volume(stack, REDIS, self)
        self.volume_name = volume.name
        config: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(self.password, self.exporter_password).apply(
                lambda secrets: render_redis_conf(
                    args.config, {API_USER: secrets[0], EXPORTER_USER: secrets[1]}
                )
            )
        )
        self.container = role_container(
            args.placement,
            REDIS,
            self,
            image=args.placement.images.image(REDIS, self).image_id,
            entrypoint=ENTRYPOINT,
            command=["redis-server", CONFIG_PATH],
            files={CONFIG_PATH: config},
            # redis-cli reads the password from REDISCLI_AUTH, keeping it off the healthcheck's argv.
            envs=[pulumi.Output.secret(pulumi.Output.concat("REDISCLI_AUTH=", self.exporter_password))],
            volume=volume,
            networks=[args.backend_network],
            healthcheck=healthcheck(["CMD-SHELL", f"redis-cli --user {EXPORTER_USER} ping | grep -q PONG"]),
        )
        self.register_outputs({"host": self.host, "volume": self.volume_name})
