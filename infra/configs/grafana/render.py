"""Grafana provisioning: the Prometheus datasource, the dashboard provider and the dashboards."""

from __future__ import annotations

import yaml

from infra.configs.grafana.dashboards import all_dashboards, dashboard_json
from infra.configs.grafana.dashboards.panels import DATASOURCE_TYPE, DATASOURCE_UID

PROVISIONING_DIR = "/etc/grafana/provisioning"
DASHBOARDS_DIR = "/etc/grafana/dashboards"


def render_datasources_yml(prometheus_url: str) -> str:
    source = {
        "name": "Prometheus",
        "type": DATASOURCE_TYPE,
        "uid": DATASOURCE_UID,
        "access": "proxy",
        "url": prometheus_url,
        "isDefault": True,
        "editable": False,
    }
    return yaml.safe_dump({"apiVersion": 1, "datasources": [source]}, sort_keys=False)


def render_dashboard_provider_yml() -> str:
    provider = {
        "name": "proving-ground",
        "type": "file",
        "disableDeletion": True,
        "allowUiUpdates": False,
        "options": {"path": DASHBOARDS_DIR},
    }
    return yaml.safe_dump({"apiVersion": 1, "providers": [provider]}, sort_keys=False)


def grafana_files(prometheus_url: str) -> dict[str, str]:
    """Every file Grafana needs, by absolute path in its container; it queries `prometheus_url`."""
    files = {
        f"{PROVISIONING_DIR}/datasources/prometheus.yml": render_datasources_yml(prometheus_url),
        f"{PROVISIONING_DIR}/dashboards/proving-ground.yml": render_dashboard_provider_yml(),
    }
    files.update(
        {f"{DASHBOARDS_DIR}/{name}": dashboard_json(board) for name, board in all_dashboards().items()}
    )
    return files
