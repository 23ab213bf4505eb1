"""prometheus.yml and the alert rule files, pure functions of the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infra.naming import (
    ALERTMANAGER_PORT,
    API_PORT,
    EXPORTER_PORTS,
    PROMETHEUS_PORT,
    api_replica_name,
    container_name,
)
from infra.settings import Settings

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
CONFIG_DIR = "/etc/prometheus"
# Relative to prometheus.yml, so the same file works in the container and under `promtool` in a temp dir.
RULES_SUBDIR = "rules"
# Scrape job per exporter role; alert rules select on these job names.
EXPORTER_JOBS = {"nginx-exporter": "nginx", "postgres-exporter": "postgres", "redis-exporter": "redis"}


def _job(name: str, targets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"job_name": name, "static_configs": targets}


def render_prometheus_yml(settings: Settings) -> str:
    stack = settings.stack
    replicas = [
        {"targets": [f"{api_replica_name(stack, index)}:{API_PORT}"], "labels": {"replica": str(index)}}
        for index in range(settings.replicas)
    ]
    jobs = [
        _job("prometheus", [{"targets": [f"localhost:{PROMETHEUS_PORT}"]}]),
        _job("alertmanager", [{"targets": [f"{container_name(stack, 'alertmanager')}:{ALERTMANAGER_PORT}"]}]),
        _job("api", replicas),
        *(
            _job(job, [{"targets": [f"{container_name(stack, role)}:{EXPORTER_PORTS[role]}"]}])
            for role, job in EXPORTER_JOBS.items()
        ),
    ]
    config = {
        "global": {
            "scrape_interval": settings.scrape_interval,
            "evaluation_interval": settings.scrape_interval,
            "external_labels": {"stack": stack},
        },
        "rule_files": [f"{RULES_SUBDIR}/*.yml"],
        "alerting": {
            "alertmanagers": [
                {
                    "static_configs": [
                        {"targets": [f"{container_name(stack, 'alertmanager')}:{ALERTMANAGER_PORT}"]}
                    ]
                }
            ]
        },
        "scrape_configs": jobs,
    }
    return yaml.safe_dump(config, sort_keys=False)


def rule_files() -> dict[str, str]:
    """Alert rule files by name (one per group), as uploaded under `rules/`."""
    return {path.name: path.read_text() for path in sorted(RULES_DIR.glob("*.yml"))}
