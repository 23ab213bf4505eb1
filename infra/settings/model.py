"""The typed, frozen settings model: every config key, its default and what it allows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator
from pydantic.alias_generators import to_camel

from infra.configs.alertmanager.render import PRODUCTION_GROUPING
from infra.settings.values import (
    CidrList,
    Duration,
    Identifier,
    ImageRef,
    IPv4Address,
    LoadProfile,
    PinnedImageRef,
    Port,
    SizeKiB,
    SizeMiB,
    ToolRole,
    size_default,
)

# PostgreSQL roles the stack creates besides the API's (`postgresUser`): the superuser the image
# initialises and the exporter's monitoring role (components/postgres.py).
RESERVED_POSTGRES_USERS = ("postgres", "exporter")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ResourceLimits:
    """One container's CPU and memory limits (`cpus` CPUs, `memory` MiB)."""

    cpus: float
    memory: int


def _cpus(default: float) -> float:
    return Field(default, ge=0.05, le=64)


class Settings(BaseModel):
    """One stack's settings. Field names are snake_case; config keys are their camelCase aliases."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, validate_default=True
    )

    stack: str
    replicas: int = Field(2, ge=1, le=32)
    image_source: Literal["registry", "build"] = "registry"
    base_image: ImageRef = "debian:bookworm-slim"
    api_base_image: ImageRef | None = None
    # Where the API image is built from: the reference API, or a copy / your own service with the
    # same interface (docs/design.md). Relative paths are from the repository root.
    api_build_context: str = Field("services/api", min_length=1)
    images: dict[ToolRole, PinnedImageRef] = Field(default_factory=dict)
    public_host: str = Field("127.0.0.1", pattern=r"^[A-Za-z0-9.-]{1,253}$")
    lb_bind_address: IPv4Address = "127.0.0.1"
    lb_http_port: Port = 8080
    lb_https_port: Port = 8443
    prometheus_port: Port = 9090
    alertmanager_port: Port = 9093
    grafana_port: Port = 3000
    grafana_enabled: bool = True
    tls_enabled: bool = False
    tls_cert_source: Literal["self-signed", "provided"] = "self-signed"
    tls_common_name: str = Field("localhost", pattern=r"^[A-Za-z0-9.*-]{1,253}$")
    api_environment: Literal["development", "production"] = "development"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    api_workers: int = Field(1, ge=1, le=16)
    api_cpus: float = _cpus(1.0)
    api_memory: SizeMiB = size_default("512m")
    # At least 3x the load balancer's discovery interval (1 s, infra/configs/nginx/render.py) to be safe.
    api_drain_seconds: int = Field(5, ge=0, le=60)
    api_trusted_proxies: CidrList = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
    db_pool_size: int = Field(10, ge=1, le=200)
    rate_limit_enabled: bool = True
    rate_limit_window_seconds: int = Field(60, ge=1, le=3600)
    rate_limit_read_limit: int = Field(6000, ge=1, le=1_000_000)
    rate_limit_write_limit: int = Field(600, ge=1, le=1_000_000)
    postgres_user: Identifier = "app"
    postgres_database: Identifier = "app"
    postgres_memory: SizeMiB = size_default("512m")
    postgres_cpus: float = _cpus(1.0)
    redis_memory: SizeMiB = size_default("256m")
    redis_cpus: float = _cpus(1.0)
    redis_maxmemory: SizeMiB = size_default("128m")
    redis_maxmemory_policy: Literal[
        "allkeys-lru",
        "allkeys-lfu",
        "volatile-lru",
        "volatile-lfu",
        "allkeys-random",
        "volatile-ttl",
        "noeviction",
    ] = "allkeys-lru"
    monitoring_memory: SizeMiB = size_default("512m")
    monitoring_cpus: float = _cpus(1.0)
    exporter_memory: SizeMiB = size_default("64m")
    exporter_cpus: float = _cpus(0.25)
    lb_memory: SizeMiB = size_default("128m")
    lb_cpus: float = _cpus(1.0)
    lb_rate_limit_rps: int = Field(500, ge=1, le=100_000)
    lb_rate_limit_burst: int = Field(1000, ge=0, le=100_000)
    lb_client_max_body_size: SizeKiB = size_default("1m")
    lb_proxy_timeout: Duration = "30s"
    lb_upstream_keepalive: int = Field(32, ge=1, le=1024)
    lb_max_fails: int = Field(3, ge=0, le=100)
    lb_fail_timeout: Duration = "10s"
    prometheus_retention: Duration = "15d"
    scrape_interval: Duration = "15s"
    alert_webhook_url: HttpUrl | None = None
    # Drill stacks only (scripts/drill): production keeps each rule's `for` and Alertmanager's timing.
    alert_for_max: Duration | None = None
    alert_group_wait: Duration = PRODUCTION_GROUPING.wait
    alert_group_interval: Duration = PRODUCTION_GROUPING.interval
    wait_timeout_seconds: int = Field(180, ge=10, le=1800)
    loadgen_enabled: bool = False
    loadgen_workers: int = Field(2, ge=1, le=8)
    loadgen_profile: LoadProfile = "smoke"
    loadgen_memory: SizeMiB = size_default("256m")
    loadgen_cpus: float = _cpus(1.0)

    @field_validator("api_base_image", "alert_webhook_url", "alert_for_max", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value  # Pulumi.yaml's documented default for "not set"

    @field_validator("api_build_context")
    @classmethod
    def _a_build_context(cls, value: str) -> str:
        if not (REPO_ROOT / value / "Dockerfile").is_file():
            raise ValueError(f"'{value}' holds no Dockerfile (give a folder with one, e.g. services/api)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems = []
        if self.image_source == "build" and self.grafana_enabled and "grafana" not in self.images:
            problems.append(
                "grafanaEnabled: Grafana has no Debian-built image, so with imageSource 'build' "
                "set grafanaEnabled=false or give images.grafana (a pinned registry ref)"
            )
        ports = {
            "lbHttpPort": self.lb_http_port, "prometheusPort": self.prometheus_port,
            "alertmanagerPort": self.alertmanager_port,
        }  # fmt: skip
        if self.tls_enabled:
            ports["lbHttpsPort"] = self.lb_https_port
        if self.grafana_enabled:
            ports["grafanaPort"] = self.grafana_port
        for port in sorted(set(ports.values())):
            keys = [key for key, value in ports.items() if value == port]
            if len(keys) > 1:
                problems.append(f"{', '.join(keys)}: each published port must differ (all are {port})")
        if self.redis_maxmemory >= self.redis_memory:
            problems.append(
                f"redisMaxmemory ({self.redis_maxmemory} MiB) must be below redisMemory "
                f"({self.redis_memory} MiB) so Redis evicts before the container is killed"
            )
        if self.postgres_user in RESERVED_POSTGRES_USERS:
            problems.append(
                f"postgresUser: '{self.postgres_user}' is a role the stack creates itself "
                f"({', '.join(RESERVED_POSTGRES_USERS)}); choose another name for the API's user"
            )
        if self.loadgen_enabled and self.tls_enabled:
            problems.append(
                "loadgenEnabled, tlsEnabled: the load generator reaches nginx by container name, which "
                "the stack's certificate does not name (its seeding verifies TLS); set one of them to false"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def limits(self) -> dict[str, ResourceLimits]:
        """CPU and memory limits per group of roles (`Role.limits` in infra/topology.py)."""
        return {
            "lb": ResourceLimits(self.lb_cpus, self.lb_memory),
            "api": ResourceLimits(self.api_cpus, self.api_memory),
            "postgres": ResourceLimits(self.postgres_cpus, self.postgres_memory),
            "redis": ResourceLimits(self.redis_cpus, self.redis_memory),
            "monitoring": ResourceLimits(self.monitoring_cpus, self.monitoring_memory),
            "exporter": ResourceLimits(self.exporter_cpus, self.exporter_memory),
            "loadgen": ResourceLimits(self.loadgen_cpus, self.loadgen_memory),
        }

    @property
    def lb_url(self) -> str:
        scheme, port = ("https", self.lb_https_port) if self.tls_enabled else ("http", self.lb_http_port)
        return f"{scheme}://{self.public_host}:{port}"
