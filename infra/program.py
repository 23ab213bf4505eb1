"""The whole stack: settings → components → outputs. `main()` is what `infra/__main__.py` runs.

This module only wires: it turns the settings into each component's narrow Args and hands one
component's attributes (hosts, passwords, containers) to the next.
"""

from __future__ import annotations

import pulumi

from infra.components._container import Placement
from infra.components._images import ImageChoice
from infra.components._secrets import password
from infra.components.api import Api, ApiArgs, Database, api_environment
from infra.components.exporters import Credentials, ExportersArgs, Watched
from infra.components.loadbalancer import LoadBalancer, LoadBalancerArgs, Tls
from infra.components.loadgen import LoadGenerator, LoadGeneratorArgs
from infra.components.monitoring import Monitoring, MonitoringArgs
from infra.components.network import Network, NetworkArgs
from infra.components.postgres import Postgres, PostgresArgs
from infra.components.redis import Redis, RedisArgs
from infra.configs.alertmanager.render import Grouping
from infra.configs.nginx.render import NginxConfig
from infra.configs.redis.render import RedisConfig
from infra.outputs import Declared, export_outputs
from infra.settings import SecretOverrides, Settings, load_settings
from infra.topology import ALERTMANAGER, API, GRAFANA, LB_STATUS_PORT, PROMETHEUS


def _tls(settings: Settings, secrets: SecretOverrides) -> Tls | None:
    if not settings.tls_enabled:
        return None
    provided = settings.tls_cert_source == "provided"
    return Tls(
        common_name=settings.tls_common_name,
        certificate=secrets.tls_certificate if provided else None,
        private_key=secrets.tls_private_key if provided else None,
    )


def declare(settings: Settings, secrets: SecretOverrides) -> Declared:
    s, stack = settings, settings.stack
    placement = Placement(
        stack=stack, wait_timeout_seconds=s.wait_timeout_seconds, images=ImageChoice.from_settings(s),
        limits=s.limits(),
    )  # fmt: skip
    network = Network(f"{stack}-network", NetworkArgs(stack=stack))
    backend, frontend = network.backend.name, network.frontend.name
    postgres = Postgres(f"{stack}-postgres", PostgresArgs(
        placement=placement, backend_network=backend, user=s.postgres_user, database=s.postgres_database,
        password=secrets.postgres_password,
    ))  # fmt: skip
    redis = Redis(f"{stack}-redis", RedisArgs(
        placement=placement, backend_network=backend, config=RedisConfig.from_settings(s),
        password=secrets.redis_password,
    ))  # fmt: skip
    database = Database(host=postgres.host, port=postgres.port, user=postgres.user,
                        name=postgres.database, password=postgres.password)  # fmt: skip
    api = Api(f"{stack}-api", ApiArgs(
        placement=placement, backend_network=backend, replicas=s.replicas, environment=api_environment(s),
        drain_seconds=s.api_drain_seconds,
        database=database, redis_host=redis.host, redis_port=redis.port, redis_user=redis.user,
        redis_password=redis.password,
    ), opts=pulumi.ResourceOptions(depends_on=[postgres, redis]))  # fmt: skip
    lb = LoadBalancer(f"{stack}-lb", LoadBalancerArgs(
        placement=placement, frontend_network=frontend, backend_network=backend,
        nginx=NginxConfig.from_settings(s, api.alias, api.port), api_replicas=api.replicas,
        bind_address=s.lb_bind_address, http_port=s.lb_http_port, https_port=s.lb_https_port,
        tls=_tls(s, secrets),
    ))  # fmt: skip
    grafana_password = None
    if s.grafana_enabled:
        grafana_password = password(f"{stack}-grafana-admin-password", length=24,
                                    given=secrets.grafana_admin_password)  # fmt: skip
    exporters = ExportersArgs(
        placement=placement, backend_network=backend, lb=Watched(host=lb.host, port=LB_STATUS_PORT),
        postgres=Watched(host=postgres.host, port=postgres.port), postgres_database=postgres.database,
        postgres_login=Credentials(user=postgres.exporter_user, password=postgres.exporter_password),
        redis=Watched(host=redis.host, port=redis.port),
        redis_login=Credentials(user=redis.exporter_user, password=redis.exporter_password),
    )  # fmt: skip
    monitoring = Monitoring(f"{stack}-monitoring", MonitoringArgs(
        placement=placement, frontend_network=frontend, backend_network=backend, exporters=exporters,
        scraped_hosts={API.name: api.hosts}, scrape_interval=s.scrape_interval,
        retention=s.prometheus_retention,
        alert_webhook_url=str(s.alert_webhook_url) if s.alert_webhook_url else None,
        rule_for_max=s.alert_for_max, grouping=Grouping(s.alert_group_wait, s.alert_group_interval),
        published_ports={PROMETHEUS.name: s.prometheus_port, ALERTMANAGER.name: s.alertmanager_port,
                         GRAFANA.name: s.grafana_port},
        grafana_admin_password=grafana_password,
    ), opts=pulumi.ResourceOptions(depends_on=[lb, postgres, redis]))  # fmt: skip
    loadgen = None
    if s.loadgen_enabled:
        loadgen = LoadGenerator(f"{stack}-loadgen", LoadGeneratorArgs(
            placement=placement, frontend_network=frontend, target_host=lb.host, api_key=api.api_key,
            workers=s.loadgen_workers, profile=s.loadgen_profile,
            # After monitoring too, so Prometheus and the dashboards see the whole run.
            start_after=[lb, monitoring],
        ))  # fmt: skip
    return Declared(
        settings=s, placement=placement, network=network, postgres=postgres, redis=redis, api=api, lb=lb,
        monitoring=monitoring, grafana_password=grafana_password, loadgen=loadgen,
    )  # fmt: skip


def main() -> None:
    """Validates all config first: with any error, nothing is declared."""
    settings, secrets = load_settings()
    export_outputs(declare(settings, secrets))
