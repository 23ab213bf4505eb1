"""Grafana dashboards as code: each module returns one dashboard; `all_dashboards` renders them all.

The dashboards are built with grafana-foundation-sdk and handed on as the JSON the SDK encodes
(plain dicts), which is exactly what Grafana is provisioned with: callers and tests read the
shipped document, not the SDK's object model.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from infra.configs.grafana.dashboards import api, datastores, nginx, overview

DASHBOARDS = (overview.dashboard, api.dashboard, nginx.dashboard, datastores.dashboard)


def encode(board: Dashboard) -> dict[str, Any]:
    """The SDK's JSON for one dashboard, as a dict (its encoder is the way to serialise models)."""
    document = json.loads(json.dumps(board, cls=JSONEncoder))
    if not isinstance(document, dict):
        raise TypeError(f"{board.uid}: the SDK encoded a {type(document).__name__}, not an object")
    return document


def all_dashboards() -> dict[str, dict[str, Any]]:
    return {f"{board['uid']}.json": board for board in (encode(build()) for build in DASHBOARDS)}


def dashboard_json(board: dict[str, Any]) -> str:
    """Deterministic text: sorted keys, fixed indent, trailing newline (stable golden files)."""
    return json.dumps(board, indent=2, sort_keys=True) + "\n"


def expressions(board: dict[str, Any]) -> list[str]:
    """Every PromQL query, rows' nested panels included, in panel order."""
    panels = [inner for panel in board.get("panels", []) for inner in (panel, *panel.get("panels", []))]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]
