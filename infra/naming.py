"""Docker object names, labels and ports (docs/design.md "Docker objects"), defined once."""

from __future__ import annotations

STACK_LABEL = "proving-ground.stack"
ROLE_LABEL = "proving-ground.role"

API_PORT = 8000
POSTGRES_PORT = 5432
REDIS_PORT = 6379
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
GRAFANA_PORT = 3000
LB_STATUS_PORT = 8081
EXPORTER_PORTS = {"nginx-exporter": 9113, "postgres-exporter": 9187, "redis-exporter": 9121}


def container_name(stack: str, role: str) -> str:
    return f"{stack}-{role}"


def api_replica_name(stack: str, index: int) -> str:
    return f"{stack}-api-{index}"


def api_replica_names(stack: str, replicas: int) -> list[str]:
    return [api_replica_name(stack, index) for index in range(replicas)]


def loadgen_worker_name(stack: str, index: int) -> str:
    return f"{stack}-loadgen-{index}"


def network_name(stack: str, kind: str) -> str:
    return f"{stack}-{kind}"


def volume_name(stack: str, role: str) -> str:
    return f"{stack}-{role}-data"


def labels(stack: str, role: str) -> dict[str, str]:
    return {STACK_LABEL: stack, ROLE_LABEL: role}
