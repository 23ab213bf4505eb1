"""Every PromQL expression (dashboards and alert rules) uses metric names that really exist.

The API's names come from its real exposition (services/api `app.core.metrics`, the module that
serves /metrics); the exporters' from tests/unit/fixtures/exporter_metrics.yml.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from infra.configs.grafana.dashboards import all_dashboards, expressions
from infra.configs.prometheus.render import rule_files

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}
PROMQL_KEYWORDS = {"and", "or", "unless", "bool"}  # grouping keywords are removed with their lists


def metric_names(expr: str) -> set[str]:
    """Identifiers that are series names: not functions, keywords, labels, strings or durations."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    stripped = re.sub(r"\{[^}]*\}", "", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)
    stripped = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    names = set(re.findall(r"(?<![\w.])([A-Za-z_:][\w:]*)\b(?!\s*\()", stripped))
    return names - PROMQL_KEYWORDS


def test_metric_name_extraction():
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(x_bucket{job="api",le!="1"}[5m])))'
        " > 0.2 or up == 0 unless absent(y)"
    )
    assert metric_names(expr) == {"x_bucket", "up", "y"}


@pytest.fixture(scope="module")
def api_metric_names() -> set[str]:
    from app.core.metrics import exposition  # the API's /metrics, in-process

    body, _ = exposition()
    names: set[str] = set()
    for family in text_string_to_metric_families(body.decode()):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


@pytest.fixture(scope="module")
def known_names(api_metric_names: set[str]) -> set[str]:
    exporters = yaml.safe_load((FIXTURES / "exporter_metrics.yml").read_text())
    return api_metric_names | {name for names in exporters.values() for name in names}


def test_api_exposes_the_red_metrics(api_metric_names):
    assert {"http_requests_total", "http_request_duration_seconds_bucket", "http_requests_in_progress"} <= (
        api_metric_names
    )


@pytest.mark.parametrize("name", sorted(all_dashboards()))
def test_dashboard_expressions_use_real_metric_names(known_names, name):
    board = all_dashboards()[name]
    for expr in expressions(board):
        assert metric_names(expr), f"{name}: no metric found in {expr!r}"
        unknown = metric_names(expr) - known_names
        assert not unknown, f"{name}: {expr!r} uses unknown metric(s) {sorted(unknown)}"


@pytest.mark.parametrize("rule_file", sorted(rule_files()))
def test_alert_rule_expressions_use_real_metric_names(known_names, rule_file):
    groups = yaml.safe_load(rule_files()[rule_file])["groups"]
    for rule in (rule for group in groups for rule in group["rules"]):
        unknown = metric_names(rule["expr"]) - known_names
        assert not unknown, f"{rule['alert']}: uses unknown metric(s) {sorted(unknown)}"
