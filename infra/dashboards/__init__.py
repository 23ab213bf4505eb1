"""Grafana dashboards as code: each module returns one dashboard; `all_dashboards` renders them all."""

from __future__ import annotations

import json
from typing import Any

from infra.dashboards import api, datastores, nginx, overview

DASHBOARDS = (overview.dashboard, api.dashboard, nginx.dashboard, datastores.dashboard)


def all_dashboards() -> dict[str, dict[str, Any]]:
    return {f"{board['uid']}.json": board for board in (build() for build in DASHBOARDS)}


def dashboard_json(board: dict[str, Any]) -> str:
    """Deterministic text: sorted keys, fixed indent, trailing newline (stable golden files)."""
    return json.dumps(board, indent=2, sort_keys=True) + "\n"


def expressions(board: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]
