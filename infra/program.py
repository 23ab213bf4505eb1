"""The whole stack: settings → components → outputs. `main()` is what `infra/__main__.py` runs."""

from __future__ import annotations

import pulumi

from infra.components.api import Api, ApiArgs
from infra.components.loadbalancer import LoadBalancer, LoadBalancerArgs
from infra.components.loadgen import REPORTS_DIR, LoadGenerator, LoadGeneratorArgs
from infra.components.monitoring import Monitoring, MonitoringArgs
from infra.components.network import Network, NetworkArgs
from infra.components.postgres import Postgres, PostgresArgs
from infra.components.redis import Redis, RedisArgs
from infra.components._secrets import password
from infra.settings import SecretOverrides, load_settings
from infra.naming import POSTGRES_PORT, container_name, network_name
from infra.settings import Settings

SINGLE_CONTAINER_ROLES = (
    "lb", "postgres", "redis", "prometheus", "alertmanager",
    "nginx-exporter", "postgres-exporter", "redis-exporter",
)  # fmt: skip


def _grafana_password(settings: Settings, secrets: SecretOverrides) -> pulumi.Output[str] | None:
    if not settings.grafana_enabled:
        return None
    return password(
        f"{settings.stack}-grafana-admin-password", length=24, given=secrets.grafana_admin_password
    )


def declare(settings: Settings, secrets: SecretOverrides) -> None:
    stack = settings.stack
    network = Network(f"{stack}-network", NetworkArgs(stack=stack))
    backend, frontend = network.backend.name, network.frontend.name
    postgres = Postgres(
        f"{stack}-postgres",
        PostgresArgs(settings=settings, backend_network=backend, password=secrets.postgres_password),
    )
    redis = Redis(
        f"{stack}-redis",
        RedisArgs(settings=settings, backend_network=backend, password=secrets.redis_password),
    )
    api = Api(
        f"{stack}-api",
        ApiArgs(
            settings=settings,
            backend_network=backend,
            postgres_host=postgres.host,
            postgres_password=postgres.password,
            redis_host=redis.host,
            redis_password=redis.password,
        ),
        opts=pulumi.ResourceOptions(depends_on=[postgres, redis]),
    )
    lb = LoadBalancer(
        f"{stack}-lb",
        LoadBalancerArgs(
            settings=settings,
            frontend_network=frontend,
            backend_network=backend,
            api_replicas=api.replicas,
            tls_certificate=secrets.tls_certificate,
            tls_private_key=secrets.tls_private_key,
        ),
    )
    grafana_password = _grafana_password(settings, secrets)
    monitoring = Monitoring(
        f"{stack}-monitoring",
        MonitoringArgs(
            settings=settings,
            frontend_network=frontend,
            backend_network=backend,
            postgres_password=postgres.password,
            redis_password=redis.password,
            grafana_admin_password=grafana_password,
        ),
        opts=pulumi.ResourceOptions(depends_on=[lb, postgres, redis]),
    )

    loadgen = None
    if settings.loadgen_enabled:
        loadgen = LoadGenerator(
            f"{stack}-loadgen",
            LoadGeneratorArgs(
                settings=settings,
                frontend_network=frontend,
                api_key=api.api_key,
                # After monitoring too, so Prometheus and the dashboards see the whole run.
                start_after=[lb, monitoring],
            ),
        )

    _export_outputs(settings, api, postgres, redis, monitoring, grafana_password, loadgen)


def _export_outputs(
    settings: Settings,
    api: Api,
    postgres: Postgres,
    redis: Redis,
    monitoring: Monitoring,
    grafana_password: pulumi.Output[str] | None,
    loadgen: LoadGenerator | None,
) -> None:
    """The stack outputs of docs/design.md; secrets only as secret outputs."""
    stack = settings.stack
    roles = [*SINGLE_CONTAINER_ROLES, *(["grafana"] if monitoring.grafana else [])]
    replicas = [replica.name for replica in api.replicas]
    lists: dict[str, list[pulumi.Input[str]]] = {"api": [*replicas]}
    volumes = {"postgres": postgres.volume_name, "redis": redis.volume_name, **monitoring.volumes}
    if loadgen is not None:
        lists["loadgen"] = [loadgen.master_name, *loadgen.worker_names]
        volumes["loadgen"] = loadgen.volume_name
    grafana_url = f"http://127.0.0.1:{settings.grafana_port}" if monitoring.grafana else None
    pulumi.export("stack", stack)
    pulumi.export("imageSource", settings.image_source)
    pulumi.export("replicas", settings.replicas)
    pulumi.export("lbUrl", settings.lb_url)
    pulumi.export("prometheusUrl", f"http://127.0.0.1:{settings.prometheus_port}")
    pulumi.export("alertmanagerUrl", f"http://127.0.0.1:{settings.alertmanager_port}")
    pulumi.export("grafanaUrl", grafana_url)
    pulumi.export("containers", {**{role: container_name(stack, role) for role in roles}, **lists})
    pulumi.export("apiReplicas", replicas)
    pulumi.export("networks", {kind: network_name(stack, kind) for kind in ("backend", "frontend")})
    pulumi.export("volumes", volumes)
    pulumi.export("loadgenReports", _loadgen_reports(settings, loadgen))
    pulumi.export(
        "postgres",
        {"user": settings.postgres_user, "database": settings.postgres_database, "host": postgres.host,
         "port": POSTGRES_PORT},
    )  # fmt: skip
    pulumi.export("apiKey", pulumi.Output.secret(api.api_key))
    pulumi.export("postgresPassword", pulumi.Output.secret(postgres.password))
    pulumi.export("redisPassword", pulumi.Output.secret(redis.password))
    if grafana_password is not None:
        pulumi.export("grafanaAdminPassword", pulumi.Output.secret(grafana_password))


def _loadgen_reports(settings: Settings, loadgen: LoadGenerator | None) -> dict[str, str] | None:
    """Where the loadgen master leaves its run, and how to gate it (null when the loadgen is off)."""
    if loadgen is None:
        return None
    local_dir = f"reports/load/{settings.stack}-loadgen"
    return {
        "container": loadgen.master_name,
        "volume": loadgen.volume_name,
        "path": REPORTS_DIR,
        "profile": settings.loadgen_profile,
        # docker cp creates only the last path element, so a fresh checkout needs the parents.
        "gate": f"mkdir -p {local_dir} && docker cp {loadgen.master_name}:{REPORTS_DIR}/. {local_dir} && "
        f"scripts/load --profile {settings.loadgen_profile} --gate-only {local_dir}",
    }


def main() -> None:
    """Validates all config first: with any error, nothing is declared."""
    settings, secrets = load_settings()
    declare(settings, secrets)
