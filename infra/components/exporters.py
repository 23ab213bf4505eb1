"""The nginx, Postgres and Redis exporters, on the backend network next to what they watch."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_docker as docker

from infra.components._container import (
    RESTART_POLICY,
    container_labels,
    healthcheck,
    http_healthcheck,
    networks,
)
from infra.components._images import image_for
from infra.naming import EXPORTER_PORTS, LB_STATUS_PORT, POSTGRES_PORT, REDIS_PORT, container_name
from infra.settings import Settings


@dataclass(frozen=True, kw_only=True)
class ExportersArgs:
    settings: Settings
    backend_network: pulumi.Input[str]
    postgres_password: pulumi.Output[str]
    redis_password: pulumi.Output[str]


def _exporter_healthcheck(settings: Settings, role: str) -> docker.ContainerHealthcheckArgs:
    # The upstream nginx exporter image is FROM scratch (no shell, no wget): there the check can
    # only prove the binary runs; Prometheus' `up{job="nginx"}` alert covers real liveness.
    if role == "nginx-exporter" and settings.image_source == "registry" and role not in settings.images:
        return healthcheck(["CMD", "/usr/bin/nginx-prometheus-exporter", "--version"])
    return http_healthcheck(EXPORTER_PORTS[role], "/metrics")


def declare_exporters(args: ExportersArgs, parent: pulumi.Resource) -> list[docker.Container]:
    settings, stack = args.settings, args.settings.stack
    postgres_dsn = args.postgres_password.apply(
        lambda password: (
            f"DATA_SOURCE_NAME=postgresql://{quote(settings.postgres_user)}:{quote(password, safe='')}"
            f"@{container_name(stack, 'postgres')}:{POSTGRES_PORT}/{settings.postgres_database}"
            "?sslmode=disable"
        )
    )
    configuration: dict[str, tuple[list[str] | None, list[pulumi.Input[str]]]] = {
        "nginx-exporter": (
            [f"--nginx.scrape-uri=http://{container_name(stack, 'lb')}:{LB_STATUS_PORT}/stub_status"],
            [],
        ),
        "postgres-exporter": (None, [pulumi.Output.secret(postgres_dsn)]),
        "redis-exporter": (
            None,
            [
                f"REDIS_ADDR=redis://{container_name(stack, 'redis')}:{REDIS_PORT}",
                pulumi.Output.concat("REDIS_PASSWORD=", args.redis_password),
            ],
        ),
    }
    return [
        docker.Container(
            container_name(stack, role),
            name=container_name(stack, role),
            hostname=container_name(stack, role),
            image=image_for(settings, role, parent).image_id,
            command=command,
            envs=envs,
            networks_advanced=networks(args.backend_network, alias=role),
            healthcheck=_exporter_healthcheck(settings, role),
            labels=container_labels(stack, role),
            memory=settings.exporter_memory,
            restart=RESTART_POLICY,
            wait=True,
            wait_timeout=settings.wait_timeout_seconds,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for role, (command, envs) in configuration.items()
    ]
