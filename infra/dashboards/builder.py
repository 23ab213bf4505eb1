"""Small builders for Grafana dashboard JSON (schema 39): timeseries and stat panels in a grid."""

from __future__ import annotations

from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
PANEL_WIDTH = 12
PANEL_HEIGHT = 8


def target(expr: str, legend: str = "", ref: str = "A") -> dict[str, Any]:
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": ref}


def panel(
    title: str, *targets: dict[str, Any], unit: str = "short", kind: str = "timeseries"
) -> dict[str, Any]:
    refs = [dict(item, refId=chr(ord("A") + index)) for index, item in enumerate(targets)]
    return {
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": refs,
    }


def dashboard(uid: str, title: str, panels: list[dict[str, Any]], tags: list[str]) -> dict[str, Any]:
    """Lays panels out two per row; ids follow the order given, so output is deterministic."""
    placed = [
        dict(
            item,
            id=index + 1,
            gridPos={
                "h": PANEL_HEIGHT,
                "w": PANEL_WIDTH,
                "x": (index % 2) * PANEL_WIDTH,
                "y": (index // 2) * PANEL_HEIGHT,
            },
        )
        for index, item in enumerate(panels)
    ]
    return {
        "uid": uid,
        "title": title,
        "tags": ["proving-ground", *tags],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "10s",
        "time": {"from": "now-30m", "to": "now"},
        "templating": {"list": []},
        "panels": placed,
    }
