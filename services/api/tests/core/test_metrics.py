"""/metrics: parsed with prometheus_client's parser; counts asserted, single and multi-worker."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from kit.local.api import ApiProcess
from kit.local.servers import LocalPostgres, LocalRedis


def samples(text: str) -> list[Sample]:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    return sum(s.value for s in samples(text) if s.name == name and labels.items() <= s.labels.items())


async def test_requests_counted_by_route_template_with_latency_histogram(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    for product_id in (900000001, 900000002, 900000003):
        await client.get(f"/api/v1/products/{product_id}")
    after = (await client.get("/metrics")).text
    route = "/api/v1/products/{product_id}"
    delta = value(after, "http_requests_total", route=route, status="404") - value(
        before, "http_requests_total", route=route, status="404"
    )
    assert delta == 3
    assert not any("900000001" in s.labels.get("route", "") for s in samples(after))  # never the raw path
    count = value(after, "http_request_duration_seconds_count", method="GET", route=route)
    assert count >= 3
    buckets = {s.labels["le"] for s in samples(after) if s.name == "http_request_duration_seconds_bucket"}
    assert {"0.1", "0.2", "0.25"} <= buckets  # resolution around the 200 ms SLO


async def test_gauges_and_build_info_are_exposed(client: httpx.AsyncClient) -> None:
    text = (await client.get("/metrics")).text
    names = {s.name for s in samples(text)}
    assert {"http_requests_in_progress", "db_pool_connections", "app_build_info"} <= names
    assert value(text, "app_build_info") == 1
    # The scrape itself is in flight while the exposition is generated.
    assert value(text, "http_requests_in_progress", method="GET") >= 1


@pytest.fixture(scope="module")
def two_workers(
    postgres: LocalPostgres, redis_server: LocalRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiProcess]:
    directory = tmp_path_factory.mktemp("multiproc")
    with ApiProcess(
        postgres.url(), redis_server.url(2), WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=str(directory)
    ) as api:
        yield api


async def test_counts_are_exact_across_two_worker_processes(two_workers: ApiProcess) -> None:
    requests = 40
    # A fresh connection per request spreads the requests over both workers.
    for _ in range(requests):
        async with httpx.AsyncClient(base_url=two_workers.url) as http:
            response = await http.get("/health/live")
            assert response.status_code == 200
    async with httpx.AsyncClient(base_url=two_workers.url) as http:
        scrapes = [(await http.get("/metrics")).text for _ in range(4)]
    for text in scrapes:  # whichever worker answers, it reports every worker's counts
        assert value(text, "http_requests_total", route="/health/live") == requests


def promtool_check_metrics(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("workers", ["one", "two"])
async def test_exposition_passes_promtool_lint(
    workers: str, client: httpx.AsyncClient, two_workers: ApiProcess
) -> None:
    """Prometheus' own linter (naming, units, HELP) on what a scrape really returns."""
    if workers == "one":
        await client.get("/api/v1/products/900000004")  # a labelled series in every family
        text = (await client.get("/metrics")).text
    else:
        async with httpx.AsyncClient(base_url=two_workers.url) as http:
            await http.get("/health/live")
            text = (await http.get("/metrics")).text
    lint = promtool_check_metrics(text)
    assert lint.returncode == 0, f"promtool check metrics:\n{lint.stdout}{lint.stderr}"
