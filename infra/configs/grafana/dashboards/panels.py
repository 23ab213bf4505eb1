"""Panels, queries and the dashboard frame, built with Grafana's grafana-foundation-sdk.

The SDK release is the one generated from Grafana 11.3's schema, the Grafana the stack runs, so the
JSON carries only fields that Grafana knows. What the SDK leaves to us is kept here, once, so the
four dashboards agree: one Prometheus datasource, 12x8 panels that `Dashboard.with_panel` lays out
two per row, panel ids and refIds given in order (output is byte-stable, for the golden files), and
one frame: read-only (the files are provisioned), 10s refresh, the last 30 minutes.
"""

from __future__ import annotations

from typing import Literal

from grafana_foundation_sdk.builders import dashboard as sdk_dashboard
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.models.dashboard import Dashboard, DataSourceRef

DATASOURCE_TYPE = "prometheus"
DATASOURCE_UID = "prometheus"  # provisioned with this uid by infra/configs/grafana/render.py
PANEL_WIDTH = 12  # of Grafana's 24 grid columns: two panels per row
PANEL_HEIGHT = 8

PanelBuilder = timeseries.Panel | stat.Panel


def datasource() -> DataSourceRef:
    """A fresh reference each time: SDK models are mutable and panels should not share one."""
    return DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)


def target(expr: str, legend: str = "") -> prometheus.Dataquery:
    """One PromQL query; `panel` gives it its refId."""
    return prometheus.Dataquery().expr(expr).legend_format(legend).datasource(datasource())


def panel(
    title: str,
    *targets: prometheus.Dataquery,
    unit: str = "short",
    kind: Literal["timeseries", "stat"] = "timeseries",
    no_value: str | None = None,
) -> PanelBuilder:
    """A panel of the standard size; `no_value` is what Grafana shows when a query has no series."""
    builder: PanelBuilder = timeseries.Panel() if kind == "timeseries" else stat.Panel()
    builder = builder.title(title).datasource(datasource()).unit(unit)
    builder = builder.span(PANEL_WIDTH).height(PANEL_HEIGHT)
    for index, item in enumerate(targets):
        builder = builder.with_target(item.ref_id(chr(ord("A") + index)))
    if no_value is not None:
        builder = builder.no_value(no_value)
    return builder


def dashboard(uid: str, title: str, panels: list[PanelBuilder], tags: list[str]) -> Dashboard:
    """The frame every dashboard shares; panel ids follow the order given."""
    board = (
        sdk_dashboard.Dashboard(title)
        .uid(uid)
        .tags(["proving-ground", *tags])
        .timezone("browser")
        .readonly()
        .refresh("10s")
        .time("now-30m", "now")
        .version(1)
    )
    for index, item in enumerate(panels, start=1):
        board = board.with_panel(item.id(index))
    return board.build()
