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
    # Never root: `uid:gid` it runs as with either image source (a data volume takes its owner from
    # the image's directory, so the uid is the image's own; infra/hardening.py is the policy).
    user: str = ""
    # Which `<limits>Cpus` / `<limits>Memory` settings bound its containers (Settings.limits).
    limits: str = ""


LB = Role(
    "lb",
    # Unprivileged ports inside (the stack publishes its own host ports to them): nginx runs as
    # the `nginx` user of both images (uid 101), master included, with no capability to bind < 1024.
    port=8080,
    build_dir="services/nginx",
    registry_image="nginx:1.27.3-alpine",
    scrape_job=None,
    not_scraped_because="its stub_status is read by nginx-exporter",
    user="101:101",
    limits="lb",
)
API = Role(
    "api",
    port=8000,
    build_dir="services/api",
    registry_image=None,
    scrape_job="api",
    count=Count.NUMBERED,
    user="10001:10001",
    limits="api",
)
POSTGRES = Role(
    "postgres",
    port=5432,
    build_dir="services/postgres",
    registry_image="postgres:16.6-bookworm",
    scrape_job=None,
    not_scraped_because="postgres-exporter reads it",
    data_dir="/var/lib/postgresql/data",
    user="999:999",
    limits="postgres",
)
REDIS = Role(
    "redis",
    port=6379,
    build_dir="services/redis",
    registry_image="redis:7.4.1-bookworm",
    scrape_job=None,
    not_scraped_because="redis-exporter reads it",
    data_dir="/data",
    user="999:999",
    limits="redis",
)
PROMETHEUS = Role(
    "prometheus",
    port=9090,
    build_dir="services/prometheus",
    registry_image="prom/prometheus:v2.55.1",
    scrape_job="prometheus",
    data_dir="/prometheus",
    user="65534:65534",
    limits="monitoring",
)
ALERTMANAGER = Role(
    "alertmanager",
    port=9093,
    build_dir="services/alertmanager",
    registry_image="prom/alertmanager:v0.27.0",
    scrape_job="alertmanager",
    user="65534:65534",
    limits="monitoring",
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
    user="472:0",
    limits="monitoring",
)
NGINX_EXPORTER = Role(
    "nginx-exporter",
    port=9113,
    build_dir="services/nginx-exporter",
    registry_image="nginx/nginx-prometheus-exporter:1.3.0",
    scrape_job="nginx",
    user="65534:65534",
    limits="exporter",
)
POSTGRES_EXPORTER = Role(
    "postgres-exporter",
    port=9187,
    build_dir="services/postgres-exporter",
    registry_image="quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
    scrape_job="postgres",
    user="65534:65534",
    limits="exporter",
)
REDIS_EXPORTER = Role(
    "redis-exporter",
    port=9121,
    build_dir="services/redis-exporter",
    registry_image="oliver006/redis_exporter:v1.66.0-alpine",
    scrape_job="redis",
    user="65534:65534",
    limits="exporter",
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
    user="10002:10002",
    limits="loadgen",
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
# nginx's HTTPS listener inside the container when TLS is on (unprivileged, like LB.port).
LB_HTTPS_PORT = 8443


def container_name(stack: str, role: Role, index: int | None = None) -> str:
    return f"{stack}-{role.name}" if index is None else f"{stack}-{role.name}-{index}"


def network_name(stack: str, kind: str) -> str:
    return f"{stack}-{kind}"


def volume_name(stack: str, role: Role) -> str:
    return f"{stack}-{role.name}-data"
