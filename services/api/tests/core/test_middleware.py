"""Request ids, replica id, security headers, body limit, CORS, JSON access log."""

from __future__ import annotations

import asyncio

import app
import httpx

from kit.local.api import ApiProcess


async def test_request_id_is_echoed_and_logged_as_one_json_line(
    api: ApiProcess, client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/v1/products/123456789", headers={"X-Request-ID": "trace-abc.123"})
    assert response.headers["x-request-id"] == "trace-abc.123"
    assert response.headers["x-replica-id"] == api.env["REPLICA_ID"]
    assert response.headers["x-api-version"] == app.__version__
    line = await asyncio.to_thread(api.access_line, "trace-abc.123")
    assert [r.get("request_id") for r in api.log_records()].count("trace-abc.123") == 1
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/products/{product_id}"
    assert line["status"] == 404
    assert line["duration_ms"] >= 0
    assert line["replica_id"] == api.env["REPLICA_ID"]


async def test_request_id_is_generated_when_absent_or_malformed(client: httpx.AsyncClient) -> None:
    first = (await client.get("/health/live")).headers["x-request-id"]
    second = (await client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})).headers[
        "x-request-id"
    ]
    assert len(first) == 32
    assert first != second
    assert " " not in second


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for path in ("/health/live", "/api/v1/products", "/api/v1/products/999999999", "/no/such/path", "/docs"):
        headers = (await client.get(path)).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]


async def test_unmatched_path_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/path")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_declared_body_over_the_limit_is_413(
    client: httpx.AsyncClient, writer_headers: dict[str, str]
) -> None:
    body = b'{"sku": "' + b"x" * 5000 + b'"}'
    response = await client.post(
        "/api/v1/products", content=body, headers={**writer_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


async def test_streamed_body_over_the_limit_is_413(
    client: httpx.AsyncClient, writer_headers: dict[str, str]
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 1000

    response = await client.post(
        "/api/v1/products", content=chunks(), headers={**writer_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_cors_allows_only_configured_origins(client: httpx.AsyncClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key"}
    allowed = await client.options("/api/v1/orders", headers={"Origin": "https://shop.example", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    refused = await client.options("/api/v1/orders", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers
