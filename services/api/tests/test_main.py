"""Process lifecycle: SIGTERM drains in-flight requests (after DRAIN_SECONDS out of readiness, if
set), closes pools, exits 0."""

from __future__ import annotations

import asyncio
import signal
import time

import asyncpg
import httpx
import pytest

from kit.local.api import TEST_API_KEY, ApiProcess
from kit.local.servers import LocalPostgres, LocalRedis


async def test_sigterm_drains_in_flight_requests(postgres: LocalPostgres, redis_server: LocalRedis) -> None:
    api = ApiProcess(postgres.url(), redis_server.url(4)).start()
    try:
        async with httpx.AsyncClient(base_url=api.url, timeout=30.0) as http:
            product = (
                await http.post(
                    "/api/v1/products",
                    headers={"X-API-Key": TEST_API_KEY},
                    json={
                        "sku": "drain-1",
                        "name": "Drain",
                        "category": "test",
                        "price_cents": 1,
                        "stock": 5,
                    },
                )
            ).json()
            # Hold the product's row lock so the order below is in flight when SIGTERM arrives.
            blocker = await asyncpg.connect(postgres.url(driver="postgresql"))
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("SELECT 1 FROM products WHERE id = $1 FOR UPDATE", product["id"])
            order = asyncio.create_task(
                http.post(
                    "/api/v1/orders",
                    headers={"X-API-Key": TEST_API_KEY},
                    json={"items": [{"product_id": product["id"], "quantity": 1}]},
                )
            )
            await asyncio.sleep(0.5)
            api.signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            assert not order.done()
            await transaction.rollback()
            await blocker.close()
            response = await order
        assert response.status_code == 201
        code = await asyncio.to_thread(api.stop)
        # After its graceful shutdown uvicorn re-raises SIGTERM, so supervisors see why it exited.
        assert code in (0, -signal.SIGTERM)
        assert "stopped: connections closed" in [r["event"] for r in api.log_records()]
    finally:
        api.close()


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_sigterm_with_a_drain_first_leaves_readiness_then_serves_then_stops(
    postgres: LocalPostgres, redis_server: LocalRedis, workers: str
) -> None:
    """What a load balancer polling readiness needs: after SIGTERM the replica says 'draining' (503)
    at once, yet answers every other request for DRAIN_SECONDS, and only then shuts down."""
    drain = 4.0
    api = ApiProcess(
        postgres.url(), redis_server.url(4), DRAIN_SECONDS=str(drain), WEB_CONCURRENCY=workers
    ).start()
    try:
        async with httpx.AsyncClient(base_url=api.url, timeout=5.0) as http:
            assert (await http.get("/health/ready")).status_code == 200
            signalled = time.monotonic()
            api.signal(signal.SIGTERM)
            # With workers, the supervisor passes it on to each (it looks for signals twice a second).
            while (await http.get("/health/ready")).status_code == 200:
                assert time.monotonic() - signalled < 1.5
                await asyncio.sleep(0.05)
            readiness = [await http.get("/health/ready") for _ in range(4)]
            assert {(r.status_code, r.json()["status"]) for r in readiness} == {(503, "draining")}
            served = [(await http.get("/health/live")).status_code for _ in range(10)]
            assert served == [200] * 10
            assert time.monotonic() - signalled < drain
        assert api.proc is not None
        code = await asyncio.to_thread(api.proc.wait, 20)  # no second SIGTERM: that one stops at once
        assert time.monotonic() - signalled >= drain
        assert code in (0, -signal.SIGTERM)
        events = [r["event"] for r in api.log_records()]
        assert "drained: shutting down" in events
        assert "stopped: connections closed" in events
    finally:
        api.close()
