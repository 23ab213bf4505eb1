"""The load balancer, from the nginx exporter's stub_status metrics."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from infra.configs.grafana.dashboards.panels import dashboard as build
from infra.configs.grafana.dashboards.panels import panel, target


def dashboard() -> Dashboard:
    return build(
        "pg-nginx",
        "nginx load balancer",
        [
            panel(
                "Requests/s",
                target('rate(nginx_http_requests_total{job="nginx"}[1m])', "requests"),
                unit="reqps",
            ),
            panel(
                "Connections",
                target('nginx_connections_active{job="nginx"}', "active"),
                target('nginx_connections_reading{job="nginx"}', "reading"),
                target('nginx_connections_writing{job="nginx"}', "writing"),
                target('nginx_connections_waiting{job="nginx"}', "waiting"),
            ),
            panel(
                "Requests not served by an API replica",
                target(
                    'sum(rate(nginx_http_requests_total{job="nginx"}[1m]))'
                    ' - sum(rate(http_requests_total{job="api"}[1m]))',
                    "unserved",
                ),
                unit="reqps",
            ),
            panel("nginx up", target('nginx_up{job="nginx"}', "up"), kind="stat"),
        ],
        ["nginx"],
    )
