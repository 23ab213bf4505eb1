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
    port: int  # what it serves on inside the stack's networks
    build_dir: str | None  # Dockerfile folder, relative to the repo root; None: never built here
    registry_image: str | None  # pinned upstream image; None: always built from build_dir
    scrape_job: str | None  # the Prometheus job scraping it; alert rules select on it
    not_scraped_because: str = ""
    count: Count = Count.ONE
    optional: bool = False  # present only when its setting enables it
    data_dir: str | None = None  # where its named volume `<stack>-<role>-data` is mounted


LB = Role(
    "lb",
    port=80,
    build_dir="services/nginx",
    registry_image="nginx:1.27.3-alpine",
    scrape_job=None,
    not_scraped_because="its stub_status is read by nginx-exporter",
)
API = Role(
    "api", port=8000, build_dir="services/api", registry_image=None, scrape_job="api", count=Count.NUMBERED
)
POSTGRES = Role(
    "postgres",
    port=5432,
    build_dir="services/postgres",
    registry_image="postgres:16.6-bookworm",
    scrape_job=None,
    not_scraped_because="postgres-exporter reads it",
    data_dir="/var/lib/postgresql/data",
)
REDIS = Role(
    "redis",
    port=6379,
    build_dir="services/redis",
    registry_image="redis:7.4.1-bookworm",
    scrape_job=None,
    not_scraped_because="redis-exporter reads it",
    data_dir="/data",
)
PROMETHEUS = Role(
    "prometheus",
    port=9090,
    build_dir="services/prometheus",
    registry_image="prom/prometheus:v2.55.1",
    scrape_job="prometheus",
    data_dir="/prometheus",
)
ALERTMANAGER = Role(
    "alertmanager",
    port=9093,
    build_dir="services/alertmanager",
    registry_image="prom/alertmanager:v0.27.0",
    scrape_job="alertmanager",
)
GRAFANA = Role(
    "grafana",
    port=3000,
    build_dir=None,
    registry_image="grafana/grafana-oss:11.3.1",
    scrape_job=None,
    not_scraped_because="a UI: its healthcheck is its health",
    optional=True,
    data_dir="/var/lib/grafana",
)
NGINX_EXPORTER = Role(
    "nginx-exporter",
    port=9113,
    build_dir="services/nginx-exporter",
    registry_image="nginx/nginx-prometheus-exporter:1.3.0",
    scrape_job="nginx",
)
POSTGRES_EXPORTER = Role(
    "postgres-exporter",
    port=9187,
    build_dir="services/postgres-exporter",
    registry_image="quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
    scrape_job="postgres",
)
REDIS_EXPORTER = Role(
    "redis-exporter",
    port=9121,
    build_dir="services/redis-exporter",
    registry_image="oliver006/redis_exporter:v1.66.0-alpine",
    scrape_job="redis",
)
LOADGEN = Role(
    "loadgen",
    port=5557,
    build_dir="load",
    registry_image=None,
    scrape_job=None,
    not_scraped_because="a one-shot job: its run record is its report",
    count=Count.LEADER_AND_NUMBERED,
    optional=True,
    data_dir="/reports",
)

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
