"""Real PostgreSQL and Redis on loopback (one of each per session) and the API as a real process.

`api` is the shared instance (generous rate limits, so headers are present but never refuse).
Tests that stop a server or need other settings start their own instance.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from kit.local.api import TEST_API_KEY, ApiProcess
from kit.local.servers import LocalPostgres, LocalRedis

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    with LocalPostgres() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[LocalRedis]:
    with LocalRedis() as server:
        yield server


@pytest.fixture
def new_database(postgres: LocalPostgres) -> Callable[[str], str]:
    """Creates an empty database on the shared server; returns its asyncpg URL."""

    def create(label: str) -> str:
        name = f"{label}_{next(_database_numbers)}"
        postgres.execute(f"CREATE DATABASE {name}")
        return postgres.url(name)

    return create


@pytest.fixture(scope="session")
def api(postgres: LocalPostgres, redis_server: LocalRedis) -> Iterator[ApiProcess]:
    with ApiProcess(
        postgres.url(),
        redis_server.url(0),
        RATE_LIMIT_READ_LIMIT="1000000",
        RATE_LIMIT_WRITE_LIMIT="1000000",
        MAX_BODY_BYTES="4096",
        CORS_ORIGINS="https://shop.example",
        DB_POOL_SIZE="20",
    ) as process:
        yield process


@pytest.fixture
async def client(api: ApiProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, timeout=30.0) as http:
        yield http


@pytest.fixture
def writer_headers() -> dict[str, str]:
    return {"X-API-Key": TEST_API_KEY}


@pytest.fixture
def make_product(client: httpx.AsyncClient, writer_headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """Creates a product through the API (unique sku) and returns its JSON."""

    async def create(**fields: object) -> dict[str, object]:
        body = {
            "sku": f"sku-{uuid.uuid4().hex[:12]}",
            "name": "Test product",
            "category": "test",
            "price_cents": 1000,
            "stock": 5,
            **fields,
        }
        response = await client.post("/api/v1/products", json=body, headers=writer_headers)
        assert response.status_code == 201, response.text
        created: dict[str, object] = response.json()
        return created

    return create
