"""Test data for the tool images: the interface each keeps, and realistic configuration shaped
like what the stack uploads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Interface:
    """What the Pulumi components rely on, whichever image source the stack uses."""

    ports: frozenset[str]
    user: str  # as in the image config; "" means root (nginx's master binds port 80)
    entrypoint: list[str] | None
    cmd: list[str] | None
    tools: tuple[str, ...]  # what healthchecks and checks run inside the container
    stop_signal: str | None = None


NOBODY = "65534:65534"
INTERFACES = {
    "nginx": Interface(
        ports=frozenset({"80/tcp", "443/tcp", "8081/tcp"}),
        user="",
        entrypoint=None,
        cmd=["nginx", "-g", "daemon off;"],
        tools=("wget", "nginx"),
        stop_signal="SIGQUIT",
    ),
    "postgres": Interface(
        ports=frozenset({"5432/tcp"}),
        user="999:999",
        entrypoint=["docker-entrypoint.sh"],
        cmd=["postgres"],
        tools=("wget", "pg_isready", "psql"),
        stop_signal="SIGINT",
    ),
    "redis": Interface(
        ports=frozenset({"6379/tcp"}),
        user="999:999",
        entrypoint=["docker-entrypoint.sh"],
        cmd=["redis-server"],
        tools=("wget", "redis-cli"),
    ),
    "prometheus": Interface(
        ports=frozenset({"9090/tcp"}),
        user=NOBODY,
        entrypoint=["/bin/prometheus"],
        cmd=["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"],
        tools=("wget", "promtool"),
    ),
    "alertmanager": Interface(
        ports=frozenset({"9093/tcp"}),
        user=NOBODY,
        entrypoint=["/bin/alertmanager"],
        cmd=["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
        tools=("wget", "amtool"),
    ),
    **{
        f"{target}-exporter": Interface(
            ports=frozenset({f"{port}/tcp"}), user=NOBODY, entrypoint=[binary], cmd=None, tools=("wget",)
        )
        for target, port, binary in (
            ("nginx", 9113, "/usr/bin/nginx-prometheus-exporter"),
            ("postgres", 9187, "/usr/bin/postgres_exporter"),
            ("redis", 9121, "/usr/bin/redis_exporter"),
        )
    },
}

# Two upstream servers stand in for API replicas; each answers with its own X-Replica-Id.
NGINX_CONF = """\
user nginx;
worker_processes 2;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
  access_log /var/log/nginx/access.log;
  upstream api {
    server 127.0.0.1:9001;
    server 127.0.0.1:9002;
    keepalive 16;
  }
  server {
    listen 80;
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
  server { listen 127.0.0.1:9001; location / { add_header X-Replica-Id replica-1; return 200 "ok\\n"; } }
  server { listen 127.0.0.1:9002; location / { add_header X-Replica-Id replica-2; return 200 "ok\\n"; } }
  server {
    listen 8081;
    location = /stub_status { stub_status; }
  }
}
"""

# str.format fields: the exporters' and Alertmanager's host:port on the test network.
PROMETHEUS_YML = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [/etc/prometheus/rules/*.yml]
alerting:
  alertmanagers:
    - static_configs: [{{targets: ["{alertmanager}"]}}]
scrape_configs:
  - job_name: prometheus
    static_configs: [{{targets: ["127.0.0.1:9090"]}}]
  - job_name: alertmanager
    static_configs: [{{targets: ["{alertmanager}"]}}]
  - job_name: nginx
    static_configs: [{{targets: ["{nginx}"]}}]
  - job_name: postgres
    static_configs: [{{targets: ["{postgres}"]}}]
  - job_name: redis
    static_configs: [{{targets: ["{redis}"]}}]
"""

RULES_YML = """\
groups:
  - name: imgtest-availability
    rules:
      - alert: TargetDown
        expr: up == 0
        for: 1m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} is down"}
"""

ALERTMANAGER_YML = """\
route:
  receiver: discard
  group_wait: 1s
  group_by: [alertname]
receivers:
  - name: discard
"""

# A manually posted alert, as Prometheus would send it (Alertmanager API v2).
TEST_ALERT = '[{"labels": {"alertname": "ImageTestAlert", "severity": "info"}}]'
