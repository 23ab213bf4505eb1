"""nginx.conf for the load balancer, a pure function of the settings and the upstream servers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from infra.configs.templating import render
from infra.settings import Settings
from infra.topology import LB, LB_HTTPS_PORT, LB_STATUS_PORT

TLS_DIR = "/etc/nginx/tls"
CONFIG_PATH = "/etc/nginx/nginx.conf"
# Where the unprivileged master keeps its pid file and temp files (a tmpfs: infra/hardening.py).
RUN_DIR = "/tmp"  # noqa: S108 - the container's private tmpfs
WORKER_CONNECTIONS = 4096
# Each proxied request holds two descriptors (client and upstream): the container's nofile ulimit
# and nginx's own limit are both this, so every worker can open what worker_connections promises.
WORKER_RLIMIT_NOFILE = 2 * WORKER_CONNECTIONS


@dataclass(frozen=True)
class NginxConfig:
    upstream_servers: Sequence[str]
    rate_limit_rps: int
    rate_limit_burst: int
    client_max_body_size_kib: int
    proxy_timeout: str
    keepalive: int
    max_fails: int
    fail_timeout: str
    tls: bool
    tls_dir: str = TLS_DIR
    status_port: int = LB_STATUS_PORT
    http_port: int = LB.port
    https_port: int = LB_HTTPS_PORT
    run_dir: str = RUN_DIR
    worker_connections: int = WORKER_CONNECTIONS
    worker_rlimit_nofile: int = WORKER_RLIMIT_NOFILE

    @classmethod
    def from_settings(cls, settings: Settings, upstream_servers: Sequence[str]) -> NginxConfig:
        """`upstream_servers`: `host:port` of every API replica (Docker DNS names)."""
        servers = list(upstream_servers)
        return cls(
            upstream_servers=servers,
            rate_limit_rps=settings.lb_rate_limit_rps,
            rate_limit_burst=settings.lb_rate_limit_burst,
            client_max_body_size_kib=settings.lb_client_max_body_size,
            proxy_timeout=settings.lb_proxy_timeout,
            keepalive=settings.lb_upstream_keepalive,
            max_fails=settings.lb_max_fails,
            fail_timeout=settings.lb_fail_timeout,
            tls=settings.tls_enabled,
        )


def render_nginx_conf(config: NginxConfig) -> str:
    return render("nginx/nginx.conf.j2", c=config)
