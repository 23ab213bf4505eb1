"""Monitoring: Prometheus, Alertmanager, Grafana (optional) and the exporters.

The UIs publish on 127.0.0.1 only, so they join the frontend network (an `internal` network
cannot publish) and the backend one to reach their targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from infra.components._container import (
    RESTART_POLICY,
    container_labels,
    data_volume,
    http_healthcheck,
    loopback_port,
    networks,
    uploads,
)
from infra.components.exporters import ExportersArgs, declare_exporters
from infra.components._images import image_for
from infra.naming import ALERTMANAGER_PORT, GRAFANA_PORT, PROMETHEUS_PORT, container_name, volume_name
from infra.render.alertmanager import CONFIG_PATH as ALERTMANAGER_CONFIG
from infra.render.alertmanager import render_alertmanager_yml
from infra.render.grafana import grafana_files
from infra.render.prometheus import CONFIG_DIR, RULES_SUBDIR, render_prometheus_yml, rule_files
from infra.settings import Settings


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    settings: Settings
    frontend_network: pulumi.Input[str]
    backend_network: pulumi.Input[str]
    postgres_password: pulumi.Output[str]
    redis_password: pulumi.Output[str]
    grafana_admin_password: pulumi.Output[str] | None


class Monitoring(pulumi.ComponentResource):
    prometheus: docker.Container
    alertmanager: docker.Container
    grafana: docker.Container | None
    exporters: list[docker.Container]
    volumes: dict[str, str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Monitoring", name, None, opts)
        self._args = args
        settings = args.settings
        self.volumes = {}
        self.exporters = declare_exporters(
            ExportersArgs(
                settings=settings,
                backend_network=args.backend_network,
                postgres_password=args.postgres_password,
                redis_password=args.redis_password,
            ),
            self,
        )
        self.alertmanager = self._container(
            "alertmanager",
            ALERTMANAGER_PORT,
            settings.alertmanager_port,
            files={ALERTMANAGER_CONFIG: render_alertmanager_yml(settings)},
            command=[
                f"--config.file={ALERTMANAGER_CONFIG}",
                "--storage.path=/alertmanager",
                "--cluster.listen-address=",
            ],
        )
        prometheus_files = {f"{CONFIG_DIR}/prometheus.yml": render_prometheus_yml(settings)}
        prometheus_files.update(
            {f"{CONFIG_DIR}/{RULES_SUBDIR}/{n}": text for n, text in rule_files().items()}
        )
        self.prometheus = self._container(
            "prometheus",
            PROMETHEUS_PORT,
            settings.prometheus_port,
            files=prometheus_files,
            command=[
                f"--config.file={CONFIG_DIR}/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                f"--storage.tsdb.retention.time={settings.prometheus_retention}",
            ],
            data_dir="/prometheus",
        )
        self.grafana = None
        if settings.grafana_enabled and args.grafana_admin_password is not None:
            self.grafana = self._container(
                "grafana",
                GRAFANA_PORT,
                settings.grafana_port,
                files=grafana_files(settings),
                envs=[
                    pulumi.Output.concat("GF_SECURITY_ADMIN_PASSWORD=", args.grafana_admin_password),
                    "GF_AUTH_ANONYMOUS_ENABLED=false",
                    "GF_USERS_ALLOW_SIGN_UP=false",
                    "GF_ANALYTICS_REPORTING_ENABLED=false",
                    f"GF_SERVER_ROOT_URL=http://127.0.0.1:{settings.grafana_port}",
                ],
                data_dir="/var/lib/grafana",
                health_path="/api/health",
            )
        self.register_outputs({"prometheus": self.prometheus.name, "alertmanager": self.alertmanager.name})

    def _container(
        self,
        role: str,
        port: int,
        host_port: int,
        *,
        files: dict[str, str],
        command: list[str] | None = None,
        envs: list[pulumi.Input[str]] | None = None,
        data_dir: str | None = None,
        health_path: str = "/-/ready",
    ) -> docker.Container:
        settings, stack = self._args.settings, self._args.settings.stack
        volumes = []
        if data_dir is not None:
            volume = data_volume(stack, role, self)
            self.volumes[role] = volume_name(stack, role)
            volumes.append(docker.ContainerVolumeArgs(volume_name=volume.name, container_path=data_dir))
        return docker.Container(
            container_name(stack, role),
            name=container_name(stack, role),
            hostname=container_name(stack, role),
            image=image_for(settings, role, self).image_id,
            command=command,
            envs=envs,
            uploads=uploads(files),
            volumes=volumes,
            ports=[loopback_port(port, host_port)],
            networks_advanced=networks(self._args.frontend_network, self._args.backend_network, alias=role),
            healthcheck=http_healthcheck(port, health_path),
            labels=container_labels(stack, role),
            memory=settings.monitoring_memory,
            restart=RESTART_POLICY,
            wait=True,
            wait_timeout=settings.wait_timeout_seconds,
            opts=pulumi.ResourceOptions(parent=self),
        )
