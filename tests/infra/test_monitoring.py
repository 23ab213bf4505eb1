"""Prometheus scrapes every target, has its rules and its Alertmanager; Grafana when enabled."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from tests.infra.stack import StackUnderTest

# Targets become `up` only after their first scrape: allow a few scrape intervals.
SCRAPE_GRACE_SECONDS = 60


def _api(url: str, path: str, **kwargs: Any) -> Any:
    response = httpx.get(f"{url}{path}", timeout=5, **kwargs)
    response.raise_for_status()
    return response.json()


@retry(
    stop=stop_after_delay(SCRAPE_GRACE_SECONDS),
    wait=wait_fixed(2),
    retry=retry_if_exception_type(AssertionError),
    reraise=True,
)
def _assert_targets_up(url: str) -> None:
    targets = _api(url, "/api/v1/targets")["data"]["activeTargets"]
    assert targets, "Prometheus has no active targets"
    down = [
        f"{t['labels'].get('job')}/{t['labels'].get('instance')}: {t.get('lastError') or t['health']}"
        for t in targets
        if t["health"] != "up"
    ]
    assert not down, f"targets not up: {down}"


def test_every_target_is_up(stack: StackUnderTest) -> None:
    _assert_targets_up(str(stack.outputs["prometheusUrl"]))


@retry(
    stop=stop_after_delay(SCRAPE_GRACE_SECONDS),
    wait=wait_fixed(2),
    retry=retry_if_exception_type(AssertionError),
    reraise=True,
)
def _assert_value(url: str, query: str, expected: float) -> None:
    result = _api(url, "/api/v1/query", params={"query": query})["data"]["result"]
    values = [float(item["value"][1]) for item in result]
    assert values, f"{query}: no series"
    assert set(values) == {expected}, f"{query}: {values}"


@pytest.mark.parametrize(
    "query",
    [
        "pg_up",  # the exporter's own role (pg_monitor) logs in
        "pg_exporter_last_scrape_error",
        "redis_up",  # the exporter's ACL user logs in
        'redis_exporter_last_scrape_error{err=""}',  # and may run what it scrapes with
    ],
)
def test_datastore_exporters_scrape_with_their_monitoring_users(stack: StackUnderTest, query: str) -> None:
    _assert_value(str(stack.outputs["prometheusUrl"]), query, 0.0 if "error" in query else 1.0)
    if query == "redis_up":  # a denied CONFIG GET leaves these out, it does not fail the scrape
        _assert_value(str(stack.outputs["prometheusUrl"]), "redis_config_maxclients > 0", 10000.0)


def test_rule_groups_are_loaded(stack: StackUnderTest) -> None:
    groups = _api(str(stack.outputs["prometheusUrl"]), "/api/v1/rules")["data"]["groups"]
    assert groups, "no rule groups loaded"
    assert all(group["rules"] for group in groups), [g["name"] for g in groups if not g["rules"]]


def test_alertmanager_is_connected(stack: StackUnderTest) -> None:
    connected = _api(str(stack.outputs["prometheusUrl"]), "/api/v1/alertmanagers")["data"][
        "activeAlertmanagers"
    ]
    assert connected, "Prometheus has no active Alertmanager"
    assert httpx.get(f"{stack.outputs['alertmanagerUrl']}/-/healthy", timeout=5).status_code == 200


def test_grafana_is_healthy_with_its_datasource(stack: StackUnderTest) -> None:
    url = stack.outputs.get("grafanaUrl")
    if not url:
        pytest.skip("Grafana is disabled for this stack")
    assert _api(str(url), "/api/health")["database"] == "ok"
    sources = _api(str(url), "/api/datasources", auth=("admin", str(stack.outputs["grafanaAdminPassword"])))
    assert any(source["type"] == "prometheus" for source in sources), sources
