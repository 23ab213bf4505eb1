"""Probes, and degradation: readiness 503 while Postgres is down, rate limiting failing open while
Redis is down, and recovery of both without a restart. These tests own their servers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from app.core.migrations import head_revision

from kit.local.api import ApiProcess
from kit.local.servers import LocalPostgres, LocalRedis


@pytest.fixture(scope="module")
def fragile() -> Iterator[tuple[ApiProcess, LocalPostgres, LocalRedis]]:
    with (
        LocalPostgres() as pg,
        LocalRedis() as rd,
        ApiProcess(pg.url(), rd.url(), HEALTH_TIMEOUT_SECONDS="0.5", DB_POOL_TIMEOUT_SECONDS="1") as api,
    ):
        yield api, pg, rd


async def _wait_for_status(
    http: httpx.AsyncClient, path: str, status: int, seconds: float = 15.0
) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await http.get(path)
        if response.status_code == status or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.2)


async def test_probes_when_all_is_well(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}
    startup = (await client.get("/health/startup")).json()
    assert startup["status"] == "ok"
    assert startup["schema_revision"] == head_revision()


async def test_readiness_fails_without_postgres_and_recovers(
    fragile: tuple[ApiProcess, LocalPostgres, LocalRedis],
) -> None:
    api, pg, _ = fragile
    async with httpx.AsyncClient(base_url=api.url, timeout=10.0) as http:
        assert (await http.get("/api/v1/products")).status_code == 200  # pool holds a live connection
        # LocalPostgres trades durability for speed (synchronous_commit=off, immediate stop): flush
        # first, or the freshly migrated schema may be lost with the "crash".
        pg.execute("CHECKPOINT")
        pg.stop()
        try:
            ready = await _wait_for_status(http, "/health/ready", 503)
            assert ready.status_code == 503
            assert ready.json()["status"] == "unavailable"
            assert ready.json()["checks"]["postgres"].startswith("error")
            assert ready.json()["checks"]["redis"] == "ok"
            assert (await http.get("/health/live")).status_code == 200
            # Filtered: the first page may be served for a second more from the process's copy.
            listing = await http.get("/api/v1/products", params={"category": "toys"})
            assert listing.status_code == 503
            assert listing.json()["error"] == "service_unavailable"
        finally:
            pg.start()
        assert (await _wait_for_status(http, "/health/ready", 200)).status_code == 200
        assert (await _wait_for_status(http, "/api/v1/products", 200)).status_code == 200


async def test_rate_limiter_fails_open_without_redis_and_recovers(
    fragile: tuple[ApiProcess, LocalPostgres, LocalRedis],
) -> None:
    api, _, rd = fragile
    async with httpx.AsyncClient(base_url=api.url, timeout=10.0) as http:
        assert "x-ratelimit-limit" in (await http.get("/api/v1/products")).headers
        rd.stop()
        try:
            served = await http.get("/api/v1/products")
            assert served.status_code == 200  # served, unchecked
            assert "x-ratelimit-limit" not in served.headers
            assert (await http.get("/health/ready")).json()["checks"]["redis"].startswith("error")
            metrics = (await http.get("/metrics")).text
            assert 'rate_limit_fail_open_total{kind="read"}' in metrics
        finally:
            rd.start()
        recovered = await _wait_for_status(http, "/health/ready", 200)
        assert recovered.status_code == 200
        for _ in range(50):  # the limiter retries Redis a moment after its last failure
            if "x-ratelimit-limit" in (await http.get("/api/v1/products")).headers:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("rate limiting did not come back after Redis returned")
    events = [record["event"] for record in api.log_records()]
    assert "redis unavailable: rate limiting fails open" in events
    assert "redis available again: rate limiting restored" in events
