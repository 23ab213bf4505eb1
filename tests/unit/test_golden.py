"""Golden files: rendered configs per stack and every dashboard, byte for byte.

A deliberate change: `UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_golden.py`, then review
the diff of tests/unit/golden/ like any other code change.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from infra.configs.grafana.dashboards import all_dashboards, dashboard_json
from infra.configs.grafana.render import render_dashboard_provider_yml, render_datasources_yml
from tests.unit.test_components import uploads

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
STACKS = ("dev", "ci", "production")
# Golden name -> (role of the container it is uploaded to, path inside it): files as deployed.
DEPLOYED = {
    "nginx.conf": ("lb", "/etc/nginx/nginx.conf"),
    "prometheus.yml": ("prometheus", "/etc/prometheus/prometheus.yml"),
    "alertmanager.yml": ("alertmanager", "/etc/alertmanager/alertmanager.yml"),
    "redis.conf": ("redis", "/usr/local/etc/redis/redis.conf"),
}


def check_golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        return
    assert path.is_file(), f"{path} is missing; create it with UPDATE_GOLDEN=1"
    assert actual == path.read_text(), (
        f"{path.name} differs from its golden file; if intended, UPDATE_GOLDEN=1"
    )


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", sorted(DEPLOYED))
def test_deployed_config_matches_golden(declare_stack, stack, name):
    role, path = DEPLOYED[name]
    declared = declare_stack(stack)
    container = next(c for n, c in declared.containers.items() if declared.role(n) == role)
    text = uploads(container)[path]
    for secret in declared.generated_secrets:  # generated passwords differ per run
        text = text.replace(secret, "PASSWORD-PLACEHOLDER")
        text = text.replace(hashlib.sha256(secret.encode()).hexdigest(), "PASSWORD-SHA256-PLACEHOLDER")
    check_golden(GOLDEN / stack / name, text)


@pytest.mark.parametrize("stack", STACKS)
def test_grafana_datasources_match_golden(stack):
    check_golden(
        GOLDEN / stack / "grafana-datasources.yml", render_datasources_yml(f"http://{stack}-prometheus:9090")
    )


@pytest.mark.parametrize("name", sorted(all_dashboards()))
def test_dashboard_matches_golden(name):
    check_golden(GOLDEN / "dashboards" / name, dashboard_json(all_dashboards()[name]))


def test_dashboard_provider_matches_golden():
    check_golden(GOLDEN / "grafana-dashboard-provider.yml", render_dashboard_provider_yml())


def test_dashboards_render_deterministically():
    assert [dashboard_json(b) for b in all_dashboards().values()] == [
        dashboard_json(b) for b in all_dashboards().values()
    ]
