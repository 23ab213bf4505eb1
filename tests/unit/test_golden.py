"""Golden files: rendered configs per stack and every dashboard, byte for byte.

A deliberate change: `UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_golden.py`, then review
the diff of tests/unit/golden/ like any other code change.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.dashboards import all_dashboards, dashboard_json
from infra.render.alertmanager import render_alertmanager_yml
from infra.render.grafana import render_dashboard_provider_yml, render_datasources_yml
from infra.render.nginx import NginxConfig, render_nginx_conf
from infra.render.prometheus import render_prometheus_yml
from infra.render.redis import render_redis_conf
from infra.settings import Settings

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
STACKS = ("dev", "ci", "production")
RENDERERS: dict[str, Callable[[Settings], str]] = {
    "nginx.conf": lambda settings: render_nginx_conf(NginxConfig.from_settings(settings)),
    "prometheus.yml": render_prometheus_yml,
    "alertmanager.yml": render_alertmanager_yml,
    "redis.conf": lambda settings: render_redis_conf(settings, "PASSWORD-PLACEHOLDER"),
    "grafana-datasources.yml": render_datasources_yml,
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
@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_rendered_config_matches_golden(stack_settings, stack, name):
    check_golden(GOLDEN / stack / name, RENDERERS[name](stack_settings(stack)))


@pytest.mark.parametrize("name", sorted(all_dashboards()))
def test_dashboard_matches_golden(name):
    check_golden(GOLDEN / "dashboards" / name, dashboard_json(all_dashboards()[name]))


def test_dashboard_provider_matches_golden():
    check_golden(GOLDEN / "grafana-dashboard-provider.yml", render_dashboard_provider_yml())


def test_dashboards_render_deterministically():
    assert [dashboard_json(b) for b in all_dashboards().values()] == [
        dashboard_json(b) for b in all_dashboards().values()
    ]
