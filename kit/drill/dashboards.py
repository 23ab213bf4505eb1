"""Do the dashboards show data? Every query of every generated panel, run on the stack's Prometheus.

The queries are the ones Grafana is provisioned with (`all_dashboards()`), with Grafana's interval
variables replaced by a concrete window. A query that returns no series is a panel that reads
"No data"; the few that only have data while something is wrong are listed in FAILURE_ONLY with
the drill that fills them, and are checked after that drill instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from infra.configs.grafana.dashboards import all_dashboards

RATE_WINDOW = "1m"
GRAFANA_VARIABLES = {"$__rate_interval": RATE_WINDOW, "$__interval": "15s", "$__range": "5m"}
# (dashboard uid, panel title) -> the drill after which the panel has data. Every panel of the
# generated dashboards has data on a healthy stack under load (zero-valued ones read 0 through
# their `or vector(0)` fallbacks), so none is listed today.
FAILURE_ONLY: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str  # uid
    panel: str  # title
    expr: str  # as sent to Prometheus
    series: int | None = None  # None: the query failed
    error: str = ""

    @property
    def empty(self) -> bool:
        return not self.series


def panel_queries() -> list[PanelQuery]:
    found = []
    for board in all_dashboards().values():
        panels = [p for top in board.get("panels", []) for p in (top, *top.get("panels", []))]
        for panel in panels:
            for target in panel.get("targets", []):
                expr = str(target["expr"])
                for variable, value in GRAFANA_VARIABLES.items():
                    expr = expr.replace(variable, value)
                found.append(PanelQuery(str(board["uid"]), str(panel.get("title", "")), expr))
    return found


def evaluate(prometheus_url: str, queries: list[PanelQuery] | None = None) -> list[PanelQuery]:
    """Each query with the number of series Prometheus returns for it now."""
    results = []
    with httpx.Client(base_url=prometheus_url, timeout=15) as client:
        for query in queries if queries is not None else panel_queries():
            body: dict[str, Any] = client.get("/api/v1/query", params={"query": query.expr}).json()
            if body.get("status") != "success":
                results.append(_with(query, None, str(body.get("error", body))))
                continue
            results.append(_with(query, len(body["data"]["result"])))
    return results


def _with(query: PanelQuery, series: int | None, error: str = "") -> PanelQuery:
    return PanelQuery(query.dashboard, query.panel, query.expr, series, error)


def without_data(results: list[PanelQuery]) -> list[PanelQuery]:
    """Queries with no series that are not failure-only: panels that would read "No data"."""
    return [r for r in results if r.empty and (r.dashboard, r.panel) not in FAILURE_ONLY]
