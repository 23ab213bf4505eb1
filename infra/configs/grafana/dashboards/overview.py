"""Stack overview: is everything up, and the three golden signals in one place."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from infra.configs.grafana.dashboards.panels import dashboard as build
from infra.configs.grafana.dashboards.panels import panel, target
from infra.configs.grafana.dashboards.promql import or_zero, ratio_or_zero

REQUESTS = 'sum(rate(http_requests_total{job="api"}[1m]))'
ERRORS_5XX = 'sum(rate(http_requests_total{job="api",status=~"5.."}[1m]))'


def dashboard() -> Dashboard:
    return build(
        "pg-overview",
        "Stack overview",
        [
            panel("Targets up by job", target("sum by (job) (up)", "{{job}}"), kind="stat"),
            panel(
                "Firing alerts",
                # ALERTS has no series while nothing fires: then one series, "none", at 0.
                target(
                    or_zero('sum by (alertname) (ALERTS{alertstate="firing"})', "alertname"), "{{alertname}}"
                ),
                no_value="0",
            ),
            panel(
                "API requests/s",
                target(REQUESTS, "requests"),
                unit="reqps",
            ),
            panel(
                "API 5xx ratio",
                # No 5xx at all is a healthy API: 0, not "No data".
                target(ratio_or_zero(ERRORS_5XX, REQUESTS), "5xx"),
                unit="percentunit",
                no_value="0",
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
