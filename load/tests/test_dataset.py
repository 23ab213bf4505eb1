"""The load suite resets its data before a stress run, so repeated runs compare: the same
catalogue every time, whatever earlier runs created, ordered or deleted, and no cached copies."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest
from rich.console import Console

from kit.local.api import LocalTarget, local_target
from load.cli import DataError, parse_args, prepare_data, wants_reset
from load.dataset import Dataset, local_dataset
from load.suite.profiles import get_profile

pytestmark = pytest.mark.slow
CONTENT = (
    "SELECT md5(string_agg(concat_ws('|', id, sku, name, category, price_cents, stock), ',' ORDER BY id)) "
    "FROM products"
)


@pytest.fixture(scope="module")
def target() -> Iterator[LocalTarget]:
    with local_target(workers=1) as started:
        yield started


def _sql(target: LocalTarget, sql: str) -> str:
    return target.postgres.execute(sql, target.postgres.database)


def _cached(target: LocalTarget, key: str) -> bool:
    found = subprocess.run(
        ["redis-cli", "--no-auth-warning", "-p", str(target.redis.port), "EXISTS", key],
        env={"REDISCLI_AUTH": target.redis.password},
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip() == "1"


def test_a_reset_gives_the_same_catalogue_whatever_ran_before(target: LocalTarget) -> None:
    data = local_dataset(target)
    data.reset(50)
    first = _sql(target, CONTENT)
    assert _sql(target, "SELECT count(*), min(id), max(id) FROM products") == "50|1|50"

    headers = {"X-API-Key": target.api_key}
    with httpx.Client(base_url=target.url, headers=headers, timeout=10) as client:
        body = {"sku": "extra-1", "name": "extra", "category": "toys", "price_cents": 1, "stock": 5}
        client.post("/api/v1/products", json=body).raise_for_status()
        client.post("/api/v1/orders", json={"items": [{"product_id": 7, "quantity": 3}]}).raise_for_status()
        client.delete("/api/v1/products/9").raise_for_status()
        client.get("/api/v1/products/8").raise_for_status()  # now cached
    assert _cached(target, "product:8")
    assert _sql(target, CONTENT) != first

    data.reset(50)
    assert _sql(target, CONTENT) == first
    assert _sql(target, "SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_items)") == "0"
    assert not _cached(target, "product:8")
    # New products continue after the catalogue, as after any reset.
    with httpx.Client(base_url=target.url, headers=headers, timeout=10) as client:
        body = {"sku": "after-reset", "name": "n", "category": "toys", "price_cents": 1, "stock": 1}
        assert client.post("/api/v1/products", json=body).json()["id"] == 51


def test_extra_products_match_no_search_or_filter_of_the_mix(target: LocalTarget) -> None:
    data = local_dataset(target)
    data.reset(40)
    data.add_products(10, 1_000, "deletable")
    assert (
        _sql(target, "SELECT count(*) FROM products WHERE category = 'deletable' AND name LIKE 'deletable %'")
        == "10"
    )
    assert (
        _sql(target, "SELECT count(*) FROM products WHERE id >= 1000 AND name ~ 'steel|oak|linen|copper'")
        == "0"
    )


def test_stress_runs_reset_by_default_and_others_on_request() -> None:
    stress, smoke = get_profile("stress"), get_profile("smoke")
    assert wants_reset(parse_args(["--profile", "stress"]), stress)
    assert not wants_reset(parse_args(["--profile", "stress", "--keep-data"]), stress)
    assert not wants_reset(parse_args(["--profile", "smoke"]), smoke)
    assert wants_reset(parse_args(["--profile", "smoke", "--reset-data"]), smoke)


def test_a_host_target_cannot_be_reset_and_says_so() -> None:
    console = Console(stderr=True)
    stress = get_profile("stress")
    kept = prepare_data(
        console, parse_args(["--profile", "stress", "--host", "http://127.0.0.1:1"]), stress, None
    )
    assert kept["reset"] is False
    assert "--host" in kept["note"]
    args = parse_args(["--profile", "smoke", "--reset-data", "--host", "http://127.0.0.1:1"])
    with pytest.raises(DataError, match="--reset-data"):
        prepare_data(console, args, get_profile("smoke"), None)
    calls: list[str] = []
    dataset = Dataset(run_sql=calls.append, drop_cache=lambda: calls.append("drop"))
    done = prepare_data(console, parse_args(["--profile", "stress", "--products", "123"]), stress, dataset)
    assert done == {"reset": True, "products": 123}
    assert "generate_series(1, 123)" in calls[0]
    assert calls[-1] == "drop"
