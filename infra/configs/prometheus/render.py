"""prometheus.yml and the alert rule files, pure functions of their inputs.

Scrape jobs come from the roles (infra/topology.py): every role with a `scrape_job` is scraped at
its port on every host given for it, so a role added with a job is scraped without an edit here.
"""

from __future__ import annotations

import re
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


_FOR_LINE = re.compile(r"^(?P<lead>\s+for:\s*)(?P<value>[0-9]+(?:ms|[smhdwy]))\s*$", re.MULTILINE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def duration_seconds(text: str) -> float:
    """A single-unit Prometheus duration (`90s`, `5m`, `1h`) in seconds."""
    number = text.rstrip("smhdwy")
    return int(number) * _UNIT_SECONDS[text[len(number) :]]


def rule_files(for_max: str | None = None) -> dict[str, str]:
    """Alert rule files by name (one per group), as uploaded under `rules/`.

    With `for_max` (the `alertForMax` setting, for drill stacks), every rule's `for:` longer than it
    is shortened to it, so a drill's alerts fire within seconds; the files are otherwise verbatim.
    """
    files = {path.name: path.read_text() for path in sorted(RULES_DIR.glob("*.yml"))}
    if for_max is None:
        return files
    cap = duration_seconds(for_max)

    def capped(match: re.Match[str]) -> str:
        value = match["value"] if duration_seconds(match["value"]) <= cap else for_max
        return f"{match['lead']}{value}"

    return {name: _FOR_LINE.sub(capped, text) for name, text in files.items()}
