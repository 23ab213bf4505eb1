"""Monitoring: Prometheus, Alertmanager, Grafana (optional) and the exporters.

The UIs publish on 127.0.0.1 only, so they join the frontend network (an `internal` network
cannot publish) and the backend one to reach their targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from infra.components._container import (
    Placement,
    data_volume,
    http_healthcheck,
    loopback_port,
    role_container,
)
from infra.components.exporters import Exporters, ExportersArgs
from infra.configs.alertmanager.render import CONFIG_PATH as ALERTMANAGER_CONFIG
from infra.configs.alertmanager.render import Grouping, render_alertmanager_yml
from infra.configs.grafana.render import PROVISIONING_DIR, grafana_files
from infra.configs.prometheus.render import (
    CONFIG_DIR,
    RULES_SUBDIR,
    PrometheusConfig,
    render_prometheus_yml,
    rule_files,
)
from infra.topology import ALERTMANAGER, GRAFANA, PROMETHEUS, Role, container_name


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    placement: Placement
    frontend_network: pulumi.Input[str]
    backend_network: pulumi.Input[str]
    exporters: ExportersArgs
    scraped_hosts: Mapping[str, Sequence[str]]  # role -> hosts of the roles outside monitoring
    scrape_interval: str
    retention: str
    alert_webhook_url: str | None
    rule_for_max: str | None  # `alertForMax`: drill stacks only
    grouping: Grouping
    published_ports: Mapping[str, int]  # role -> loopback port of its UI
    grafana_admin_password: pulumi.Output[str] | None = None  # None: no Grafana


class Monitoring(pulumi.ComponentResource):
    prometheus: docker.Container
    alertmanager: docker.Container
    grafana: docker.Container | None
    exporters: Exporters
    volumes: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Monitoring", name, None, opts)
        self._args = args
        stack = args.placement.stack
        self.volumes = {}
        self.exporters = Exporters(f"{name}-exporters", args.exporters, pulumi.ResourceOptions(parent=self))
        self.alertmanager = self._container(
            ALERTMANAGER,
            entrypoint=["/bin/alertmanager"],
            files={ALERTMANAGER_CONFIG: render_alertmanager_yml(args.alert_webhook_url, args.grouping)},
            command=[
                f"--config.file={ALERTMANAGER_CONFIG}",
                "--storage.path=/alertmanager",
                "--cluster.listen-address=",
            ],
        )
        own = {role.name: [container_name(stack, role)] for role in (PROMETHEUS, ALERTMANAGER)}
        config = PrometheusConfig(
            stack=stack,
            scrape_interval=args.scrape_interval,
            hosts={**args.scraped_hosts, **own, **self.exporters.hosts},
        )
        prometheus_files = {f"{CONFIG_DIR}/prometheus.yml": render_prometheus_yml(config)}
        prometheus_files.update(
            {f"{CONFIG_DIR}/{RULES_SUBDIR}/{n}": text for n, text in rule_files(args.rule_for_max).items()}
        )
        self.prometheus = self._container(
            PROMETHEUS,
            entrypoint=["/bin/prometheus"],
            files=prometheus_files,
            command=[
                f"--config.file={CONFIG_DIR}/prometheus.yml",
                f"--storage.tsdb.path={PROMETHEUS.data_dir}",
                f"--storage.tsdb.retention.time={args.retention}",
            ],
            with_volume=True,
        )
        self.grafana = None
        if args.grafana_admin_password is not None:
            ui_port = args.published_ports[GRAFANA.name]
            prometheus_url = f"http://{container_name(stack, PROMETHEUS)}:{PROMETHEUS.port}"
            self.grafana = self._container(
                GRAFANA,
                entrypoint=["/run.sh"],
                files=grafana_files(prometheus_url),
                envs=[
                    pulumi.Output.concat("GF_SECURITY_ADMIN_PASSWORD=", args.grafana_admin_password),
                    "GF_AUTH_ANONYMOUS_ENABLED=false",
                    "GF_USERS_ALLOW_SIGN_UP=false",
                    "GF_ANALYTICS_REPORTING_ENABLED=false",
                    f"GF_SERVER_ROOT_URL=http://127.0.0.1:{ui_port}",
                    # Logs to stdout only: the image's default also writes files under the rootfs.
                    "GF_LOG_MODE=console",
                ],
                with_volume=True,
                health_path="/api/health",
                # The tmpfs hides the image's empty ones; Grafana logs an error for each it misses.
                directories=[f"{PROVISIONING_DIR}/{kind}" for kind in ("plugins", "alerting", "notifiers")],
            )
        self.register_outputs({"prometheus": self.prometheus.name, "alertmanager": self.alertmanager.name})

    def _container(
        self,
        role: Role,
        *,
        entrypoint: list[str],
        files: dict[str, str],
        command: list[str] | None = None,
        envs: list[pulumi.Input[str]] | None = None,
        with_volume: bool = False,
        health_path: str = "/-/ready",
        directories: Sequence[str] = (),
    ) -> docker.Container:
        args = self._args
        volume = data_volume(args.placement.stack, role, self) if with_volume else None
        if volume is not None:
            self.volumes[role.name] = volume.name
        return role_container(
            args.placement,
            role,
            self,
            image=args.placement.images.image(role, self).image_id,
            entrypoint=entrypoint,
            command=command,
            envs=envs,
            files=files,
            directories=directories,
            volume=volume,
            ports=[loopback_port(role.port, args.published_ports[role.name])],
            networks=[args.frontend_network, args.backend_network],
            healthcheck=http_healthcheck(role.port, health_path),
        )
