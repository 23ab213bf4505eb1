"""The load suites' data: a fixed catalogue, so that repeated runs (stress knees above all) compare.

A reset leaves exactly `products` catalogue products (ids 1..N: names from the suite's words,
its categories, prices spread over the filters' range, stock that orders never exhaust), no
orders, and no cached product documents: whatever earlier runs created, ordered or deleted is
gone, and the tables and their indexes are as large as after any other reset. It goes through the
database, not the API (one statement, not N requests), so only targets whose database this
machine reaches are reset: a stack (docker exec in its containers, as scripts/backup does) or the
API started by --local-api.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from kit.backup.restore import drop_cached_products, psql
from kit.backup.stack import StackTarget
from kit.local.api import LocalTarget
from load.suite.api import CATEGORIES, WORDS

DEFAULT_PRODUCTS = 1_000
MAX_PRODUCTS = 1_000_000
# Orders take 1-3 units of a product: a billion never runs out within any profile.
STOCK = 1_000_000_000


def _text_array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ",".join(f"'{value}'" for value in values) + "]::text[]"


def products_sql(count: int, *, first_id: int = 1, kind: str = "catalogue") -> str:
    """INSERT of `count` products numbered from `first_id`: deterministic, so two resets agree.

    `kind` prefixes skus and, for anything but the catalogue, names and the category, so extra
    products (e.g. the benchmark's deletable ones) match no search or filter of the mix."""
    if not 1 <= count <= MAX_PRODUCTS or first_id < 1 or not kind.isidentifier():
        raise ValueError(f"{count} products of kind {kind!r} from id {first_id}: out of bounds")
    catalogue = kind == "catalogue"
    name = "w[1 + i % 8] || ' ' || w[1 + (i / 8) % 8] || ' ' || i" if catalogue else f"'{kind} ' || i"
    category = "c[1 + i % 5]" if catalogue else f"'{kind}'"
    # Built from bounded integers, an identifier and the suite's own constants: nothing to inject.
    return (
        "INSERT INTO products (id, sku, name, description, category, price_cents, stock) "  # noqa: S608
        f"SELECT i, '{kind}-' || i, {name}, '{kind} product', {category}, "
        f"100 + (i::bigint * 7919) % 49901, {STOCK} "
        f"FROM generate_series({first_id}, {first_id + count - 1}) AS i, "
        f"(SELECT {_text_array(WORDS)} AS w, {_text_array(CATEGORIES)} AS c) AS v; "
        # Later inserts through the API continue after the highest id.
        "SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT max(id) FROM products));"
    )


def reset_sql(products: int) -> str:
    return f"BEGIN; TRUNCATE order_items, orders, products RESTART IDENTITY; {products_sql(products)} COMMIT;"


# On its own (VACUUM cannot run in a transaction): fresh statistics for the planner, and indexes
# with nothing pending (a GIN index's pending list would otherwise be scanned by every search).
# Only the products: the emptied orders tables stay as TRUNCATE leaves them, never analyzed, like a
# new database's. Analyzed empty, the planner took them for empty until the next autoanalyze, and
# every session that planned a statement meanwhile kept its plan: the foreign-key check of each
# order item (orders by id) scanned the whole orders table, so an order cost more PostgreSQL CPU
# the more orders the run had placed (bench-api: ≈ 750 µs at 16,000 orders, 1,230 at 32,000).
VACUUM_SQL = "VACUUM (ANALYZE) products"


@dataclass(frozen=True)
class Dataset:
    """How to reach one target's data: run SQL in its database, drop its cached products."""

    run_sql: Callable[[str], object]
    drop_cache: Callable[[], object]

    def reset(self, products: int = DEFAULT_PRODUCTS) -> None:
        self.run_sql(reset_sql(products))
        self.run_sql(VACUUM_SQL)
        self.drop_cache()

    def add_products(self, count: int, first_id: int, kind: str) -> None:
        """Products beyond the catalogue, e.g. ones a benchmark may delete."""
        self.run_sql(products_sql(count, first_id=first_id, kind=kind))
        self.settle()

    def settle(self) -> None:
        """Vacuums the products now, e.g. after a benchmark deleted thousands: autovacuum would
        otherwise do it while the next endpoint is measured."""
        self.run_sql(VACUUM_SQL)


def stack_dataset(stack: str) -> Dataset:
    """The data of a provisioned stack (raises kit.backup.stack.BackupError when it cannot)."""
    target = StackTarget.load(stack)
    return Dataset(run_sql=lambda sql: psql(target, sql), drop_cache=lambda: drop_cached_products(target))


def local_dataset(target: LocalTarget) -> Dataset:
    """The data of the API that --local-api started (its throw-away PostgreSQL and Redis)."""

    def drop_cache() -> None:
        subprocess.run(
            ["redis-cli", "--no-auth-warning", "-p", str(target.redis.port), "FLUSHDB"],
            env={**os.environ, "REDISCLI_AUTH": target.redis.password},
            check=True,
            capture_output=True,
        )

    return Dataset(
        run_sql=lambda sql: target.postgres.execute(sql, target.postgres.database), drop_cache=drop_cache
    )
