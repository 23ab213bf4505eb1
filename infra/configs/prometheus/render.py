"""prometheus.yml and the alert rule files, pure functions of their inputs.

Scrape jobs come from the roles (infra/topology.py): every role with a `scrape_job` is scraped at
its port on every host given for it, so a role added with a job is scraped without an edit here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.topology import ALERTMANAGER, PROMETHEUS, ROLES, Count

RULES_DIR = Path(__file__).resolve().parent / "rules"
CONFIG_DIR = "/etc/prometheus"
# Relative to prometheus.yml, so the same file works in the container and under `promtool` in a temp dir.
RULES_SUBDIR = "rules"


@dataclass(frozen=True)
class PrometheusConfig:
    stack: str
    scrape_interval: str
    # Hosts per scraped role name, in their index order (numbered roles get a `replica` label).
    hosts: Mapping[str, Sequence[str]]


def _targets(role_name: str, hosts: Sequence[str]) -> list[dict[str, Any]]:
    role = ROLES[role_name]
    if role is PROMETHEUS:
        return [{"targets": [f"localhost:{role.port}"]}]  # itself, whatever its name
    if role.count is Count.NUMBERED:
        return [
            {"targets": [f"{host}:{role.port}"], "labels": {"replica": str(index)}}
            for index, host in enumerate(hosts)
        ]
    return [{"targets": [f"{host}:{role.port}" for host in hosts]}]


def scrape_jobs(hosts: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    missing = [r.name for r in ROLES.values() if r.scrape_job and not r.optional and r.name not in hosts]
    if missing:
        raise ValueError(f"no hosts given for scraped role(s) {', '.join(missing)}")
    return [
        {"job_name": role.scrape_job, "static_configs": _targets(role.name, hosts[role.name])}
        for role in ROLES.values()
        if role.scrape_job and role.name in hosts
    ]


def render_prometheus_yml(config: PrometheusConfig) -> str:
    alertmanagers = [f"{host}:{ALERTMANAGER.port}" for host in config.hosts[ALERTMANAGER.name]]
    document = {
        "global": {
            "scrape_interval": config.scrape_interval,
            "evaluation_interval": config.scrape_interval,
            "external_labels": {"stack": config.stack},
        },
        "rule_files": [f"{RULES_SUBDIR}/*.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": alertmanagers}]}]},
        "scrape_configs": scrape_jobs(config.hosts),
    }
    return yaml.safe_dump(document, sort_keys=False)


def rule_files() -> dict[str, str]:
    """Alert rule files by name (one per group), as uploaded under `rules/`."""
    return {path.name: path.read_text() for path in sorted(RULES_DIR.glob("*.yml"))}
