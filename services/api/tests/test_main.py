"""Process lifecycle: SIGTERM drains in-flight requests, closes pools, exits 0."""

from __future__ import annotations

import asyncio
import signal

import asyncpg
import httpx

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
