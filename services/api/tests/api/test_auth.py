"""Writes need a valid X-API-Key; reads are public."""

from __future__ import annotations

import httpx
import pytest

NEW_PRODUCT = {"sku": "auth-check", "name": "n", "category": "test", "price_cents": 1, "stock": 1}


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong-key"}, {"X-API-Key": ""}])
async def test_writes_without_a_valid_key_are_401_json(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, path, body in (
        ("POST", "/api/v1/products", NEW_PRODUCT),
        ("PATCH", "/api/v1/products/1", {"name": "x"}),
        ("DELETE", "/api/v1/products/1", None),
        ("POST", "/api/v1/orders", {"items": [{"product_id": 1, "quantity": 1}]}),
    ):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"] == "unauthorized"


async def test_reads_are_public(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/products")).status_code == 200


async def test_the_key_never_reaches_the_logs(
    api, client: httpx.AsyncClient, writer_headers: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/products", json=NEW_PRODUCT, headers=writer_headers)
    api.access_line(response.headers["x-request-id"])  # the request's lines are written by now
    assert writer_headers["X-API-Key"] not in api.log_text()
