"""The stack outputs of docs/design.md (keys in kit/contract.py), read from the components.

Secrets are exported only as secret outputs. The `containers` output comes from the roster of
containers the one container policy created, so a new role appears in it without an edit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from infra.components._container import Placement
from infra.components.api import Api
from infra.components.loadbalancer import LoadBalancer
from infra.components.loadgen import REPORTS_DIR, LoadGenerator
from infra.components.monitoring import Monitoring
from infra.components.network import Network
from infra.components.postgres import Postgres
from infra.components.redis import Redis
from infra.settings import Settings
from infra.topology import ROLES, Count
from kit.contract import Output


@dataclass(frozen=True, kw_only=True)
class Declared:
    settings: Settings
    placement: Placement
    network: Network
    postgres: Postgres
    redis: Redis
    api: Api
    lb: LoadBalancer
    monitoring: Monitoring
    grafana_password: pulumi.Output[str] | None
    loadgen: LoadGenerator | None


def container_names(declared: Declared) -> dict[str, Any]:
    """{role: name} for single containers, {role: [names…]} for numbered ones (leader first)."""
    placement = declared.placement
    names: dict[str, Any] = {}
    for role in ROLES.values():
        members = sorted(placement.members(role), key=lambda m: -1 if m.index is None else m.index)
        if not members:
            continue
        if role.count is Count.ONE:
            names[role.name] = members[0].container.name
        else:
            names[role.name] = [member.container.name for member in members]
    return names


def _loadgen_reports(stack: str, loadgen: LoadGenerator, profile: str) -> dict[str, Any]:
    """Where the loadgen master leaves its run, and how to gate it."""
    local_dir = f"reports/load/{stack}-loadgen"
    return {
        "container": loadgen.master_name,
        "volume": loadgen.volume_name,
        "path": REPORTS_DIR,
        "profile": profile,
        # docker cp creates only the last path element, so a fresh checkout needs the parents.
        "gate": f"mkdir -p {local_dir} && docker cp {loadgen.master_name}:{REPORTS_DIR}/. {local_dir} && "
        f"scripts/load --profile {profile} --gate-only {local_dir}",
    }


def export_outputs(declared: Declared) -> None:
    s, monitoring, loadgen = declared.settings, declared.monitoring, declared.loadgen
    volumes: dict[str, Any] = {
        "postgres": declared.postgres.volume_name,
        "redis": declared.redis.volume_name,
        **monitoring.volumes,
    }
    if loadgen is not None:
        volumes["loadgen"] = loadgen.volume_name
    pulumi.export(Output.STACK, s.stack)
    pulumi.export(Output.IMAGE_SOURCE, s.image_source)
    pulumi.export(Output.REPLICAS, s.replicas)
    pulumi.export(Output.LB_URL, s.lb_url)
    pulumi.export(Output.PROMETHEUS_URL, f"http://127.0.0.1:{s.prometheus_port}")
    pulumi.export(Output.ALERTMANAGER_URL, f"http://127.0.0.1:{s.alertmanager_port}")
    # Optional parts export their keys only when present: Pulumi drops null outputs anyway.
    if monitoring.grafana is not None:
        pulumi.export(Output.GRAFANA_URL, f"http://127.0.0.1:{s.grafana_port}")
    pulumi.export(Output.CONTAINERS, container_names(declared))
    pulumi.export(Output.API_REPLICAS, [replica.name for replica in declared.api.replicas])
    pulumi.export(Output.NETWORKS, {"backend": declared.network.backend.name,
                                    "frontend": declared.network.frontend.name})  # fmt: skip
    pulumi.export(Output.VOLUMES, volumes)
    if loadgen is not None:
        pulumi.export(Output.LOADGEN_REPORTS, _loadgen_reports(s.stack, loadgen, s.loadgen_profile))
    postgres = declared.postgres
    pulumi.export(Output.POSTGRES, {"user": postgres.user, "database": postgres.database,
                                    "host": postgres.host, "port": postgres.port})  # fmt: skip
    redis = declared.redis
    pulumi.export(Output.REDIS, {"user": redis.user, "host": redis.host, "port": redis.port})
    pulumi.export(Output.API_KEY, pulumi.Output.secret(declared.api.api_key))
    pulumi.export(Output.POSTGRES_PASSWORD, pulumi.Output.secret(postgres.password))
    pulumi.export(Output.POSTGRES_ADMIN_PASSWORD, pulumi.Output.secret(postgres.admin_password))
    pulumi.export(Output.REDIS_PASSWORD, pulumi.Output.secret(redis.password))
    if declared.grafana_password is not None:
        pulumi.export(Output.GRAFANA_ADMIN_PASSWORD, pulumi.Output.secret(declared.grafana_password))
