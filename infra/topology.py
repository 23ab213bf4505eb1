"""The stack's roles, declared once: image, build folder, port, scrape job, how many, and names.

Everything else derives from this table: image choice (components/_images.py), Prometheus jobs
(configs/prometheus), the `images` config key's allowed roles, container/volume names and the
`containers` output. `tests/unit/test_topology.py` fails when a role lacks an image, a scrape job
(or the reason it has none) or its place in the outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Count(StrEnum):
    ONE = "one"  # a single container `<stack>-<role>`
    NUMBERED = "numbered"  # `<stack>-<role>-<i>` (API replicas)
    LEADER_AND_NUMBERED = "leader+numbered"  # `<stack>-<role>` plus `<stack>-<role>-<i>` (loadgen)


@dataclass(frozen=True)
class Role:
    name: str  # the `proving-ground.role` label and the container name suffix
    port: int | None  # what it serves on inside the stack's networks
    build_dir: str | None  # Dockerfile folder, relative to the repo root; None: never built here
    registry_image: str | None  # pinned upstream image; None: always built from build_dir
    scrape_job: str | None  # the Prometheus job scraping it; alert rules select on it
    not_scraped_because: str = ""
    count: Count = Count.ONE
    optional: bool = False  # present only when its setting enables it
    data_dir: str | None = None  # where its named volume `<stack>-<role>-data` is mounted


LB = Role("lb", 80, "services/nginx", "nginx:1.27.3-alpine", None,
          not_scraped_because="stub_status is read by nginx-exporter")  # fmt: skip
API = Role("api", 8000, "services/api", None, "api", count=Count.NUMBERED)
POSTGRES = Role("postgres", 5432, "services/postgres", "postgres:16.6-bookworm", None,
                not_scraped_because="postgres-exporter reads it",
                data_dir="/var/lib/postgresql/data")  # fmt: skip
REDIS = Role("redis", 6379, "services/redis", "redis:7.4.1-bookworm", None,
             not_scraped_because="redis-exporter reads it", data_dir="/data")  # fmt: skip
PROMETHEUS = Role("prometheus", 9090, "services/prometheus", "prom/prometheus:v2.55.1", "prometheus",
                  data_dir="/prometheus")  # fmt: skip
ALERTMANAGER = Role("alertmanager", 9093, "services/alertmanager", "prom/alertmanager:v0.27.0",
                    "alertmanager")  # fmt: skip
GRAFANA = Role("grafana", 3000, None, "grafana/grafana-oss:11.3.1", None,
               not_scraped_because="a UI: its health is its healthcheck", optional=True,
               data_dir="/var/lib/grafana")  # fmt: skip
NGINX_EXPORTER = Role("nginx-exporter", 9113, "services/nginx-exporter",
                      "nginx/nginx-prometheus-exporter:1.3.0", "nginx")  # fmt: skip
POSTGRES_EXPORTER = Role("postgres-exporter", 9187, "services/postgres-exporter",
                         "quay.io/prometheuscommunity/postgres-exporter:v0.16.0", "postgres")  # fmt: skip
REDIS_EXPORTER = Role("redis-exporter", 9121, "services/redis-exporter",
                      "oliver006/redis_exporter:v1.66.0-alpine", "redis")  # fmt: skip
LOADGEN = Role("loadgen", 5557, "load", None, None, count=Count.LEADER_AND_NUMBERED, optional=True,
               not_scraped_because="a one-shot job: its record is its report", data_dir="/reports")  # fmt: skip

# Declaration order is the order of Prometheus' jobs and of the `containers` output.
ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        LB, POSTGRES, REDIS, PROMETHEUS, ALERTMANAGER, API, GRAFANA,
        NGINX_EXPORTER, POSTGRES_EXPORTER, REDIS_EXPORTER, LOADGEN,
    )
}  # fmt: skip
# Roles whose upstream image `images.<role>` may replace (always-built roles have none).
REGISTRY_ROLES = tuple(name for name, role in ROLES.items() if role.registry_image)
NETWORKS = ("backend", "frontend")
# nginx's stub_status and health endpoint (a second server block, not published).
LB_STATUS_PORT = 8081


def container_name(stack: str, role: Role, index: int | None = None) -> str:
    return f"{stack}-{role.name}" if index is None else f"{stack}-{role.name}-{index}"


def network_name(stack: str, kind: str) -> str:
    return f"{stack}-{kind}"


def volume_name(stack: str, role: Role) -> str:
    return f"{stack}-{role.name}-data"
