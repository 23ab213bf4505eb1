"""Orders: all-or-nothing stock decrements, and no oversell under concurrency."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx


async def test_order_decrements_stock_and_totals(
    client: httpx.AsyncClient, writer_headers: dict[str, str], make_product
) -> None:  # type: ignore[no-untyped-def]
    mug = await make_product(price_cents=1250, stock=5)
    pot = await make_product(price_cents=3000, stock=2)
    body = {"items": [{"product_id": pot["id"], "quantity": 1}, {"product_id": mug["id"], "quantity": 2}]}
    response = await client.post("/api/v1/orders", json=body, headers=writer_headers)
    assert response.status_code == 201, response.text
    assert response.json()["total_cents"] == 2 * 1250 + 3000
    assert (await client.get(f"/api/v1/products/{mug['id']}")).json()["stock"] == 3
    assert (await client.get(f"/api/v1/products/{pot['id']}")).json()["stock"] == 1


async def test_insufficient_stock_is_409_and_changes_nothing(
    client: httpx.AsyncClient, writer_headers: dict[str, str], make_product
) -> None:  # type: ignore[no-untyped-def]
    plenty = await make_product(stock=10)
    scarce = await make_product(stock=1)
    body = {
        "items": [{"product_id": plenty["id"], "quantity": 4}, {"product_id": scarce["id"], "quantity": 2}]
    }
    response = await client.post("/api/v1/orders", json=body, headers=writer_headers)
    assert response.status_code == 409
    error = response.json()
    assert error["error"] == "insufficient_stock"
    assert error["detail"] == {"product_id": scarce["id"], "requested": 2, "available": 1}
    # The first line's decrement was rolled back with the transaction.
    assert (await client.get(f"/api/v1/products/{plenty['id']}")).json()["stock"] == 10


async def test_unknown_product_is_404(client: httpx.AsyncClient, writer_headers: dict[str, str]) -> None:
    body = {"items": [{"product_id": 9_000_000_000, "quantity": 1}]}
    response = await client.post("/api/v1/orders", json=body, headers=writer_headers)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_repeated_product_lines_are_refused(
    client: httpx.AsyncClient, writer_headers: dict[str, str]
) -> None:
    body = {"items": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}]}
    assert (await client.post("/api/v1/orders", json=body, headers=writer_headers)).status_code == 422


async def test_fifty_concurrent_orders_for_ten_items_never_oversell(
    client: httpx.AsyncClient,
    writer_headers: dict[str, str],
    make_product,  # type: ignore[no-untyped-def]
) -> None:
    product = await make_product(stock=10)
    body = {"items": [{"product_id": product["id"], "quantity": 1}]}
    async with httpx.AsyncClient(
        base_url=str(client.base_url), timeout=60.0, limits=httpx.Limits(max_connections=50)
    ) as burst:
        responses = await asyncio.gather(
            *(burst.post("/api/v1/orders", json=body, headers=writer_headers) for _ in range(50))
        )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 10, 409: 40}
    assert (await client.get(f"/api/v1/products/{product['id']}")).json()["stock"] == 0


async def test_product_with_orders_cannot_be_deleted(
    client: httpx.AsyncClient, writer_headers: dict[str, str], make_product
) -> None:  # type: ignore[no-untyped-def]
    product = await make_product(stock=3)
    body = {"items": [{"product_id": product["id"], "quantity": 1}]}
    assert (await client.post("/api/v1/orders", json=body, headers=writer_headers)).status_code == 201
    response = await client.delete(f"/api/v1/products/{product['id']}", headers=writer_headers)
    assert response.status_code == 409
