"""Grafana provisioning: the Prometheus datasource, the dashboard provider and the dashboards."""

from __future__ import annotations

import yaml

from infra.dashboards import all_dashboards, dashboard_json
from infra.dashboards.panels import DATASOURCE_TYPE, DATASOURCE_UID
from infra.naming import PROMETHEUS_PORT, container_name
from infra.settings import Settings

PROVISIONING_DIR = "/etc/grafana/provisioning"
DASHBOARDS_DIR = "/etc/grafana/dashboards"


def render_datasources_yml(settings: Settings) -> str:
    source = {
        "name": "Prometheus",
        "type": DATASOURCE_TYPE,
        "uid": DATASOURCE_UID,
        "access": "proxy",
        "url": f"http://{container_name(settings.stack, 'prometheus')}:{PROMETHEUS_PORT}",
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


def grafana_files(settings: Settings) -> dict[str, str]:
    """Every file Grafana needs, by absolute path in its container."""
    files = {
        f"{PROVISIONING_DIR}/datasources/prometheus.yml": render_datasources_yml(settings),
        f"{PROVISIONING_DIR}/dashboards/proving-ground.yml": render_dashboard_provider_yml(),
    }
    files.update(
        {f"{DASHBOARDS_DIR}/{name}": dashboard_json(board) for name, board in all_dashboards().items()}
    )
    return files
