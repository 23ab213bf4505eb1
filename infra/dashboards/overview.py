"""Stack overview: is everything up, and the three golden signals in one place."""

from __future__ import annotations

from typing import Any

from infra.dashboards.builder import dashboard as build
from infra.dashboards.builder import panel, target


def dashboard() -> dict[str, Any]:
    return build(
        "pg-overview",
        "Stack overview",
        [
            panel("Targets up by job", target("sum by (job) (up)", "{{job}}"), kind="stat"),
            panel(
                "Firing alerts", target('sum by (alertname) (ALERTS{alertstate="firing"})', "{{alertname}}")
            ),
            panel(
                "API requests/s",
                target('sum(rate(http_requests_total{job="api"}[1m]))', "requests"),
                unit="reqps",
            ),
            panel(
                "API 5xx ratio",
                target(
                    'sum(rate(http_requests_total{job="api",status=~"5.."}[1m]))'
                    ' / sum(rate(http_requests_total{job="api"}[1m]))',
                    "5xx",
                ),
                unit="percentunit",
            ),
            panel(
                "API p95 latency",
                target(
                    "histogram_quantile(0.95, sum by (le) "
                    '(rate(http_request_duration_seconds_bucket{job="api"}[1m])))',
                    "p95",
                ),
                unit="s",
            ),
            panel("Healthy API replicas", target('sum(up{job="api"})', "replicas"), kind="stat"),
        ],
        ["overview"],
    )
