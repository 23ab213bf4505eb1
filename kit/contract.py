"""What the Pulumi program and the tools agree on: labels and stack output keys (docs/design.md).

The program sets these labels on every Docker object and exports these keys; scripts, testinfra,
the load suite, backups and drills select containers by label and read outputs by key. Nothing
here imports Pulumi, so every tool can use it.
"""

from __future__ import annotations

from enum import StrEnum

PROJECT = "proving-ground"
STACK_LABEL = "proving-ground.stack"
ROLE_LABEL = "proving-ground.role"
# The replica (or worker) index of containers that come in numbered sets, e.g. API replicas.
INDEX_LABEL = "proving-ground.index"


def labels(stack: str, role: str, index: int | None = None) -> dict[str, str]:
    found = {STACK_LABEL: stack, ROLE_LABEL: role}
    if index is not None:
        found[INDEX_LABEL] = str(index)
    return found


def stack_selector(stack: str) -> dict[str, str]:
    """A Docker SDK `filters=` value selecting every object of `stack`."""
    return {"label": f"{STACK_LABEL}={stack}"}


class Output(StrEnum):
    """Stack output keys (camelCase, as Pulumi exports them)."""

    STACK = "stack"
    IMAGE_SOURCE = "imageSource"
    REPLICAS = "replicas"
    LB_URL = "lbUrl"
    PROMETHEUS_URL = "prometheusUrl"
    ALERTMANAGER_URL = "alertmanagerUrl"
    GRAFANA_URL = "grafanaUrl"
    CONTAINERS = "containers"  # {role: name} or, for numbered roles, {role: [names]}
    API_REPLICAS = "apiReplicas"
    NETWORKS = "networks"
    VOLUMES = "volumes"
    LOADGEN_REPORTS = "loadgenReports"
    POSTGRES = "postgres"  # {user, database, host, port}: the API's role and database
    REDIS = "redis"  # {user, host, port}: the API's ACL user
    API_KEY = "apiKey"
    POSTGRES_PASSWORD = "postgresPassword"  # noqa: S105 - a key name, not a password
    POSTGRES_ADMIN_PASSWORD = "postgresAdminPassword"  # noqa: S105 - a key name: the superuser's
    REDIS_PASSWORD = "redisPassword"  # noqa: S105 - a key name
    GRAFANA_ADMIN_PASSWORD = "grafanaAdminPassword"  # noqa: S105 - a key name


SECRET_OUTPUTS = (
    Output.API_KEY,
    Output.POSTGRES_PASSWORD,
    Output.POSTGRES_ADMIN_PASSWORD,
    Output.REDIS_PASSWORD,
    Output.GRAFANA_ADMIN_PASSWORD,
)
