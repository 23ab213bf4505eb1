"""Realistic configuration for the tool image tests, shaped like what the stack uploads."""

from __future__ import annotations

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
