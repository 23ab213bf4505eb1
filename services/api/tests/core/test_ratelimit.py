"""Rate limiting: 429 with body and headers, reset, buckets per key / per client, trusted proxies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from app.core.ratelimit import retry_after_seconds
from hypothesis import assume, given
from hypothesis import strategies as st

from kit.local.api import TEST_API_KEY, ApiProcess
from kit.local.servers import LocalPostgres, LocalRedis

READ_LIMIT = 5
WINDOW = 2


@pytest.fixture(scope="module")
def limited_api(postgres: LocalPostgres, redis_server: LocalRedis) -> Iterator[ApiProcess]:
    with ApiProcess(
        postgres.url(),
        redis_server.url(1),
        RATE_LIMIT_READ_LIMIT=str(READ_LIMIT),
        RATE_LIMIT_WRITE_LIMIT="2",
        RATE_LIMIT_WINDOW_SECONDS=str(WINDOW),
        TRUSTED_PROXIES="127.0.0.1/32",
    ) as api:
        yield api


async def _at_window_start() -> None:
    """Each test uses a new client address, so counting starts at a fresh window: the sliding
    estimate is then exactly the request count, whatever the machine's speed."""
    await asyncio.sleep(WINDOW - time.time() % WINDOW + 0.02)


async def _burst(http: httpx.AsyncClient, count: int, headers: dict[str, str]) -> list[httpx.Response]:
    return [await http.get("/api/v1/products", headers=headers) for _ in range(count)]


async def test_over_the_limit_is_429_with_headers_then_resets(limited_api: ApiProcess) -> None:
    client_ip = {"X-Forwarded-For": "203.0.113.10"}
    async with httpx.AsyncClient(base_url=limited_api.url) as http:
        await _at_window_start()
        responses = await _burst(http, READ_LIMIT + 1, client_ip)
        assert [r.status_code for r in responses] == [200] * READ_LIMIT + [429]
        assert [int(r.headers["x-ratelimit-remaining"]) for r in responses[:READ_LIMIT]] == [4, 3, 2, 1, 0]
        refused = responses[-1]
        body = refused.json()
        assert body["error"] == "rate_limited"
        assert body["limit"] == READ_LIMIT
        assert body["window"] == WINDOW
        assert body["retry_after"] >= 1
        assert refused.headers["retry-after"] == str(body["retry_after"])
        assert refused.headers["x-ratelimit-limit"] == str(READ_LIMIT)
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert int(refused.headers["x-ratelimit-reset"]) <= WINDOW

        await asyncio.sleep(body["retry_after"])
        assert (await http.get("/api/v1/products", headers=client_ip)).status_code == 200


async def test_each_client_and_key_has_its_own_bucket(limited_api: ApiProcess) -> None:
    async with httpx.AsyncClient(base_url=limited_api.url) as http:
        await _at_window_start()
        first = await _burst(http, READ_LIMIT + 1, {"X-Forwarded-For": "203.0.113.20"})
        assert first[-1].status_code == 429
        # Another client behind the trusted proxy, and a key holder, are not affected.
        assert (
            await http.get("/api/v1/products", headers={"X-Forwarded-For": "203.0.113.21"})
        ).status_code == 200
        keyed = {"X-Forwarded-For": "203.0.113.20", "X-API-Key": TEST_API_KEY}
        assert (await http.get("/api/v1/products", headers=keyed)).status_code == 200


async def test_writes_have_their_own_smaller_limit(limited_api: ApiProcess) -> None:
    headers = {"X-Forwarded-For": "203.0.113.30", "X-API-Key": "not-a-valid-key"}
    async with httpx.AsyncClient(base_url=limited_api.url) as http:
        statuses = [
            (
                await http.post(
                    "/api/v1/orders", json={"items": [{"product_id": 1, "quantity": 1}]}, headers=headers
                )
            ).status_code
            for _ in range(3)
        ]
    # Bad keys are counted per address (no free retries for key guessing), then refused.
    assert statuses == [401, 401, 429]


async def test_rejections_are_counted_in_metrics(limited_api: ApiProcess) -> None:
    async with httpx.AsyncClient(base_url=limited_api.url) as http:
        await _burst(http, READ_LIMIT + 2, {"X-Forwarded-For": "203.0.113.40"})
        assert 'rate_limit_rejected_total{kind="read"}' in (await http.get("/metrics")).text


@given(
    limit=st.integers(1, 1000),
    window=st.integers(1, 3600),
    previous=st.integers(0, 2000),
    fill=st.floats(0, 1),
    offset_fraction=st.floats(0, 0.999),
)
def test_retry_after_is_enough_and_not_much_more(
    limit: int, window: int, previous: int, fill: float, offset_fraction: float
) -> None:
    offset = offset_fraction * window
    current = round(fill * limit)  # this window's count, the refused request not included
    weight = 1 - offset / window
    assume(previous * weight + current + 1 > limit)  # the request was refused

    wait = retry_after_seconds(limit, window, current, previous, offset)

    def fits_after(seconds: float) -> bool:
        t = offset + seconds
        if t < window:
            return previous * (1 - t / window) + current + 1 <= limit + 1e-9
        return current * (1 - (t - window) / window) + 1 <= limit + 1e-9

    assert fits_after(wait)
    assert wait == 1 or not fits_after(wait - 1.01)  # at most a second of slack (rounding up)
