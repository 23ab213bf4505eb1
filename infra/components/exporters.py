"""Exporters: the nginx, Postgres and Redis exporters, on the backend network next to what they watch."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_docker as docker

from infra.components._container import Placement, healthcheck, http_healthcheck, role_container
from infra.topology import NGINX_EXPORTER, POSTGRES_EXPORTER, REDIS_EXPORTER, Role, container_name


@dataclass(frozen=True, kw_only=True)
class Watched:
    """A server an exporter reads: its host and port on the backend network."""

    host: str
    port: int


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """A monitoring identity: its user and password (never the API's, never an admin's)."""

    user: str
    password: pulumi.Output[str]


@dataclass(frozen=True, kw_only=True)
class ExportersArgs:
    placement: Placement
    backend_network: pulumi.Input[str]
    lb: Watched
    postgres: Watched
    postgres_database: str
    postgres_login: Credentials  # a pg_monitor member
    redis: Watched
    redis_login: Credentials  # an ACL user limited to INFO, CONFIG GET, SLOWLOG, LATENCY


def _healthcheck(image_ref: str | None, role: Role) -> docker.ContainerHealthcheckArgs:
    # The upstream nginx exporter image is FROM scratch (no shell, no wget): there the check can
    # only prove the binary runs; Prometheus' `up{job="nginx"}` alert covers real liveness.
    if role is NGINX_EXPORTER and image_ref == NGINX_EXPORTER.registry_image:
        return healthcheck(["CMD", "/usr/bin/nginx-prometheus-exporter", "--version"])
    return http_healthcheck(role.port, "/metrics")


class Exporters(pulumi.ComponentResource):
    containers: list[docker.Container]
    hosts: dict[str, list[str]]  # role name -> its container names

    def __init__(self, name: str, args: ExportersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Exporters", name, None, opts)
        pg = args.postgres_login
        postgres_dsn = pg.password.apply(
            lambda secret: (
                f"DATA_SOURCE_NAME=postgresql://{quote(pg.user)}:{quote(secret, safe='')}"
                f"@{args.postgres.host}:{args.postgres.port}/{args.postgres_database}?sslmode=disable"
            )
        )
        configuration: dict[Role, tuple[list[str] | None, list[pulumi.Input[str]]]] = {
            NGINX_EXPORTER: ([f"--nginx.scrape-uri=http://{args.lb.host}:{args.lb.port}/stub_status"], []),
            POSTGRES_EXPORTER: (None, [pulumi.Output.secret(postgres_dsn)]),
            REDIS_EXPORTER: (
                None,
                [
                    f"REDIS_ADDR=redis://{args.redis.host}:{args.redis.port}",
                    f"REDIS_USER={args.redis_login.user}",
                    pulumi.Output.secret(pulumi.Output.concat("REDIS_PASSWORD=", args.redis_login.password)),
                ],
            ),
        }
        self.containers = []
        for role, (command, envs) in configuration.items():
            image = args.placement.images.image(role, self)
            self.containers.append(
                role_container(
                    args.placement,
                    role,
                    self,
                    image=image.image_id,
                    command=command,
                    envs=envs,
                    networks=[args.backend_network],
                    healthcheck=_healthcheck(args.placement.images.reference(role), role),
                )
            )
        self.hosts = {role.name: [container_name(args.placement.stack, role)] for role in configuration}
        self.register_outputs({"containers": [container.name for container in self.containers]})
