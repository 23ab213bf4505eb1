"""nginx.conf for the load balancer, a pure function of the settings, and the environment of the
script that keeps its upstream servers to the ready API replicas (upstreams.sh, beside this)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
UPSTREAMS_SCRIPT = (Path(__file__).parent / "upstreams.sh").read_text()
UPSTREAMS_SCRIPT_PATH = "/etc/nginx/upstreams.sh"
UPSTREAM_FILE = "/etc/nginx/upstream-api.conf"  # written by the script, included by nginx.conf
# How often the script re-resolves and probes the replicas: a draining replica is out within about
# this plus one probe and a reload, so the API's drain (apiDrainSeconds) must be well above it.
DISCOVERY_INTERVAL_SECONDS = 1
NONE_READY_PORT = 8082  # loopback only: nginx's own 503 while no replica is ready
READINESS_PATH = "/health/ready"


@dataclass(frozen=True)
class NginxConfig:
    upstream_host: str  # the replicas' shared network alias (Docker DNS answers every replica)
    upstream_port: int
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
    upstream_file: str = UPSTREAM_FILE
    none_port: int = NONE_READY_PORT

    @classmethod
    def from_settings(cls, settings: Settings, upstream_host: str, upstream_port: int) -> NginxConfig:
        return cls(
            upstream_host=upstream_host,
            upstream_port=upstream_port,
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


def discovery_env(config: NginxConfig) -> dict[str, str]:
    """upstreams.sh's settings (its environment)."""
    return {
        "UPSTREAM_HOST": config.upstream_host,
        "UPSTREAM_PORT": str(config.upstream_port),
        "UPSTREAM_PROBE": READINESS_PATH,
        "UPSTREAM_INTERVAL": str(DISCOVERY_INTERVAL_SECONDS),
        "UPSTREAM_FILE": config.upstream_file,
        "UPSTREAM_SERVER_PARAMS": f"max_fails={config.max_fails} fail_timeout={config.fail_timeout}",
        "UPSTREAM_NONE": f"127.0.0.1:{config.none_port}",
    }


def upstream_servers(config: NginxConfig, addresses: list[str]) -> str:
    """The file upstreams.sh writes for these replica addresses (tests run nginx without it; one
    of them checks that the script writes exactly this)."""
    if not addresses:
        return f"server 127.0.0.1:{config.none_port};\n"
    params = discovery_env(config)["UPSTREAM_SERVER_PARAMS"]
    return "".join(f"server {address}:{config.upstream_port} {params};\n" for address in addresses)
