"""Products: CRUD, validation, keyset pagination, filters, search, cache-aside."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kit.local.api import ApiProcess
from kit.local.servers import LocalRedis


async def test_create_get_update_delete(
    client: httpx.AsyncClient, writer_headers: dict[str, str], make_product
) -> None:  # type: ignore[no-untyped-def]
    created = await make_product(name="Blue mug", price_cents=1250, stock=7)
    product_id = created["id"]
    assert (await client.get(f"/api/v1/products/{product_id}")).json() == created

    patched = await client.patch(
        f"/api/v1/products/{product_id}", json={"price_cents": 999}, headers=writer_headers
    )
    assert patched.status_code == 200
    assert patched.json()["price_cents"] == 999
    assert patched.json()["name"] == "Blue mug"  # untouched fields stay

    assert (await client.delete(f"/api/v1/products/{product_id}", headers=writer_headers)).status_code == 204
    missing = await client.get(f"/api/v1/products/{product_id}")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


async def test_duplicate_sku_is_a_conflict(
    client: httpx.AsyncClient, writer_headers: dict[str, str], make_product
) -> None:  # type: ignore[no-untyped-def]
    created = await make_product()
    again = {"sku": created["sku"], "name": "x", "category": "test", "price_cents": 1, "stock": 1}
    response = await client.post("/api/v1/products", json=again, headers=writer_headers)
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


async def test_unknown_fields_and_bad_values_are_422_with_field_detail(
    client: httpx.AsyncClient, writer_headers: dict[str, str]
) -> None:
    body = {"sku": "ok-1", "name": "n", "category": "test", "price_cents": -1, "stock": 1, "colour": "red"}
    response = await client.post("/api/v1/products", json=body, headers=writer_headers)
    assert response.status_code == 422
    error = response.json()
    assert error["error"] == "validation_error"
    locations = {tuple(item["loc"]) for item in error["detail"]}
    assert ("body", "price_cents") in locations
    assert ("body", "colour") in locations


async def test_bad_query_and_path_values_are_422_with_their_location(client: httpx.AsyncClient) -> None:
    page = await client.get("/api/v1/products", params={"limit": "0", "category": "UPPER", "colour": "red"})
    assert page.status_code == 422
    assert page.json()["error"] == "validation_error"
    locations = {tuple(item["loc"]) for item in page.json()["detail"]}
    assert locations == {("query", "limit"), ("query", "category")}  # unknown parameters are ignored

    product = await client.get("/api/v1/products/not-a-number")
    assert product.status_code == 422
    assert [item["loc"] for item in product.json()["detail"]] == [["path", "product_id"]]


async def test_a_product_reads_the_same_everywhere(client: httpx.AsyncClient, make_product) -> None:  # type: ignore[no-untyped-def]
    category = f"same-{uuid.uuid4().hex[:8]}"
    created = await make_product(category=category)
    listed = (await client.get("/api/v1/products", params={"category": category})).json()["items"]
    fetched = (await client.get(f"/api/v1/products/{created['id']}")).json()
    assert listed == [created] == [fetched]
    assert created["created_at"].endswith("+00:00")


async def test_malformed_json_is_a_client_error(
    client: httpx.AsyncClient, writer_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/products",
        content=b'{"sku": ',
        headers={**writer_headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.json()["error"] == "validation_error"


async def test_empty_patch_is_refused(
    client: httpx.AsyncClient, writer_headers: dict[str, str], make_product
) -> None:  # type: ignore[no-untyped-def]
    created = await make_product()
    response = await client.patch(f"/api/v1/products/{created['id']}", json={}, headers=writer_headers)
    assert response.status_code == 422


async def test_keyset_pagination_walks_every_item_once(client: httpx.AsyncClient, make_product) -> None:  # type: ignore[no-untyped-def]
    category = f"page-{uuid.uuid4().hex[:8]}"
    expected = [(await make_product(category=category))["id"] for _ in range(7)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"category": category, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/products", params=params)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 3


async def test_price_range_filter(client: httpx.AsyncClient, make_product) -> None:  # type: ignore[no-untyped-def]
    category = f"price-{uuid.uuid4().hex[:8]}"
    for price in (100, 500, 900):
        await make_product(category=category, price_cents=price)
    page = await client.get(
        "/api/v1/products", params={"category": category, "min_price_cents": 200, "max_price_cents": 900}
    )
    assert [item["price_cents"] for item in page.json()["items"]] == [500, 900]


async def test_invalid_cursor_is_a_clear_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/products", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert response.status_code == 400
    assert "cursor" in response.json()["message"]


async def test_search_finds_substring_case_insensitively(client: httpx.AsyncClient, make_product) -> None:  # type: ignore[no-untyped-def]
    word = uuid.uuid4().hex[:10]
    wanted = await make_product(name=f"Enamel {word.upper()} teapot")
    await make_product(name="Something else")
    found = (await client.get("/api/v1/products/search", params={"q": word})).json()["items"]
    assert [item["id"] for item in found] == [wanted["id"]]
    # LIKE wildcards in the query are literal characters, not patterns.
    assert (await client.get("/api/v1/products/search", params={"q": "%_%"})).json()["items"] == []


async def test_cache_miss_then_hit_then_invalidated_by_write(
    api: ApiProcess,
    client: httpx.AsyncClient,
    redis_server: LocalRedis,
    writer_headers: dict[str, str],
    make_product,  # type: ignore[no-untyped-def]
) -> None:
    product_id = (await make_product(stock=3))["id"]
    before = await _cache_counts(client)
    await client.get(f"/api/v1/products/{product_id}")
    assert redis_server_get(redis_server, f"product:{product_id}") is not None
    await client.get(f"/api/v1/products/{product_id}")
    after = await _cache_counts(client)
    assert after["miss"] - before["miss"] == 1
    assert after["hit"] - before["hit"] == 1

    await client.patch(f"/api/v1/products/{product_id}", json={"name": "Renamed"}, headers=writer_headers)
    assert redis_server_get(redis_server, f"product:{product_id}") is None
    assert (await client.get(f"/api/v1/products/{product_id}")).json()["name"] == "Renamed"


async def _cache_counts(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    counts = {"hit": 0.0, "miss": 0.0}
    for family in text_string_to_metric_families(text):
        if family.name == "cache_requests":
            for sample in family.samples:
                if sample.name == "cache_requests_total":
                    counts[sample.labels["result"]] += sample.value
    return counts


def redis_server_get(server: LocalRedis, key: str) -> bytes | None:
    import redis

    with redis.Redis.from_url(server.url(0)) as connection:
        value: bytes | None = connection.get(key)  # type: ignore[assignment]
        return value


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


PG_BIGINT_PLUS_ONE = str(2**63)
PG_INT_PLUS_ONE = 2**31

# Every number the API parses from a request, just outside the range it can store or query.
OUT_OF_RANGE_READS = [
    ("/api/v1/products", {"cursor": _cursor(f"id:{PG_BIGINT_PLUS_ONE}")}),
    ("/api/v1/products", {"cursor": _cursor(f"id:{10**40}")}),
    ("/api/v1/products", {"cursor": _cursor("id:-1")}),
    ("/api/v1/products", {"cursor": _cursor("id:1_000")}),
    ("/api/v1/products", {"cursor": _cursor("id: 5")}),
    ("/api/v1/products", {"cursor": _cursor("id:+5")}),
    ("/api/v1/products", {"cursor": _cursor("id:\u0661\u0662")}),  # non-ASCII digits
    ("/api/v1/products", {"limit": "101"}),
    ("/api/v1/products", {"limit": "0"}),
    ("/api/v1/products", {"limit": PG_BIGINT_PLUS_ONE}),
    ("/api/v1/products", {"min_price_cents": str(PG_INT_PLUS_ONE)}),
    ("/api/v1/products", {"max_price_cents": "-1"}),
    ("/api/v1/products/search", {"q": "mug", "limit": PG_BIGINT_PLUS_ONE}),
    (f"/api/v1/products/{PG_BIGINT_PLUS_ONE}", {}),
    (f"/api/v1/products/{10**40}", {}),
    ("/api/v1/products/0", {}),
    ("/api/v1/products/-1", {}),
]


@pytest.mark.parametrize(("path", "params"), OUT_OF_RANGE_READS)
async def test_out_of_range_read_inputs_are_client_errors(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"] in ("bad_request", "validation_error")
    # The API still answers reads afterwards (see also the pool test in tests/core/test_db.py).
    assert (await client.get("/api/v1/products", params={"limit": 1})).status_code == 200


async def test_out_of_range_write_inputs_are_client_errors(
    client: httpx.AsyncClient, writer_headers: dict[str, str], make_product
) -> None:  # type: ignore[no-untyped-def]
    product = await make_product()
    big = int(PG_BIGINT_PLUS_ONE)
    requests = [
        ("PATCH", f"/api/v1/products/{big}", {"name": "x"}),
        ("DELETE", f"/api/v1/products/{big}", None),
        ("PATCH", f"/api/v1/products/{product['id']}", {"price_cents": PG_INT_PLUS_ONE}),
        ("PATCH", f"/api/v1/products/{product['id']}", {"stock": PG_INT_PLUS_ONE}),
        ("POST", "/api/v1/orders", {"items": [{"product_id": big, "quantity": 1}]}),
        ("POST", "/api/v1/orders", {"items": [{"product_id": product["id"], "quantity": big}]}),
        ("POST", "/api/v1/orders", {"items": [{"product_id": product["id"], "quantity": 0}]}),
    ]
    for method, path, body in requests:
        response = await client.request(method, path, json=body, headers=writer_headers)
        assert response.status_code == 422, (method, path, body, response.text)
        assert response.json()["error"] == "validation_error"


def test_cursor_round_trips_at_the_edges_of_the_id_range() -> None:
    from app.core.errors import ApiError
    from app.schemas.common import PG_BIGINT
    from app.services.products import decode_cursor, encode_cursor

    for last_id in (0, 1, PG_BIGINT):
        assert decode_cursor(encode_cursor(last_id)) == last_id
    with pytest.raises(ApiError):
        decode_cursor(encode_cursor(PG_BIGINT + 1))
