"""API RED (rate, errors, duration) by route and by replica."""

from __future__ import annotations

from typing import Any

from infra.dashboards.builder import dashboard as build
from infra.dashboards.builder import panel, target

RATE = 'sum by ({by}) (rate(http_requests_total{{job="api"}}[1m]))'
ERRORS = (
    'sum by ({by}) (rate(http_requests_total{{job="api",status=~"5.."}}[1m]))'
    ' / sum by ({by}) (rate(http_requests_total{{job="api"}}[1m]))'
)
P95 = (
    "histogram_quantile(0.95, sum by ({by}, le) "
    '(rate(http_request_duration_seconds_bucket{{job="api"}}[1m])))'
)


def _red(by: str, legend: str) -> list[dict[str, Any]]:
    return [
        panel(f"Requests/s by {by}", target(RATE.format(by=by), legend), unit="reqps"),
        panel(f"5xx ratio by {by}", target(ERRORS.format(by=by), legend), unit="percentunit"),
        panel(f"p95 latency by {by}", target(P95.format(by=by), legend), unit="s"),
    ]


def dashboard() -> dict[str, Any]:
    return build(
        "pg-api",
        "API: RED by route and replica",
        [
            *_red("route", "{{route}}"),
            *_red("replica", "replica {{replica}}"),
            panel(
                "In-flight requests by replica",
                target('sum by (replica) (http_requests_in_progress{job="api"})', "replica {{replica}}"),
            ),
            panel(
                "Status codes",
                target('sum by (status) (rate(http_requests_total{job="api"}[1m]))', "{{status}}"),
            ),
            panel(
                "Product cache hit ratio",
                target(
                    'sum(rate(cache_requests_total{job="api",result="hit"}[1m]))'
                    ' / sum(rate(cache_requests_total{job="api"}[1m]))',
                    "hit ratio",
                ),
                unit="percentunit",
            ),
            panel(
                "Rate limiting",
                target('sum by (kind) (rate(rate_limit_rejected_total{job="api"}[1m]))', "429 {{kind}}"),
                target(
                    'sum by (kind) (rate(rate_limit_fail_open_total{job="api"}[1m]))', "fail-open {{kind}}"
                ),
                unit="reqps",
            ),
            panel(
                "DB pool connections by state",
                target('sum by (state) (db_pool_connections{job="api"})', "{{state}}"),
            ),
        ],
        ["api"],
    )
