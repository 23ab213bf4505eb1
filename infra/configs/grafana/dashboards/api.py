"""API RED (rate, errors, duration) by route and by replica."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from infra.configs.grafana.dashboards.panels import PanelBuilder, panel, target
from infra.configs.grafana.dashboards.panels import dashboard as build
from infra.configs.grafana.dashboards.promql import or_zero, ratio_or_zero

RATE = 'sum by ({by}) (rate(http_requests_total{{job="api"}}[1m]))'
ERRORS_5XX = 'sum by ({by}) (rate(http_requests_total{{job="api",status=~"5.."}}[1m]))'
P95 = (
    "histogram_quantile(0.95, sum by ({by}, le) "
    '(rate(http_request_duration_seconds_bucket{{job="api"}}[1m])))'
)


def _red(by: str, legend: str) -> list[PanelBuilder]:
    # A healthy API has no 5xx series at all: the ratio reads 0 per route or replica, not "No data".
    errors = ratio_or_zero(ERRORS_5XX.format(by=by), RATE.format(by=by))
    return [
        panel(f"Requests/s by {by}", target(RATE.format(by=by), legend), unit="reqps"),
        panel(f"5xx ratio by {by}", target(errors, legend), unit="percentunit", no_value="0"),
        panel(f"p95 latency by {by}", target(P95.format(by=by), legend), unit="s"),
    ]


def dashboard() -> Dashboard:
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
                # Both counters appear only once a request is refused (or let through unchecked).
                target(
                    or_zero('sum by (kind) (rate(rate_limit_rejected_total{job="api"}[1m]))', "kind"),
                    "429 {{kind}}",
                ),
                target(
                    or_zero('sum by (kind) (rate(rate_limit_fail_open_total{job="api"}[1m]))', "kind"),
                    "fail-open {{kind}}",
                ),
                unit="reqps",
                no_value="0",
            ),
            panel(
                "DB pool connections by state",
                target('sum by (state) (db_pool_connections{job="api"})', "{{state}}"),
            ),
        ],
        ["api"],
    )
