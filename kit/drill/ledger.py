"""Which order writes the database holds, compared with what the API acknowledged.

Each run creates its own products: a few to read (cached by id) and enough to write to, each with
ample stock. Write n orders `quantity = n // P % 1000 + 1` of write product n % P (P products, at
least WRITE_PRODUCTS, so writes do not queue on one row lock), so every write is one distinct
(product, quantity) line and a row in `order_items` names the request that made it.

Afterwards: every acknowledged order is there with its id (nothing acknowledged lost); a row for a
write that was not acknowledged is allowed only where the client cannot know the outcome (a 5xx
or a broken connection: the commit may have happened); each product's stock is its start minus
what its orders took.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from kit.drill.traffic import Line, Sample

MAX_QUANTITY = 1000  # the API's bound on one order line's quantity
STOCK = 1_000_000_000  # each write product's stock: never runs out (1000 writes take ~500 000)
READ_PRODUCTS = 8
WRITE_PRODUCTS = 8
# A write whose client saw this cannot know whether its order was committed.
DEFINITE_FAILURES = frozenset({"400", "401", "404", "409", "413", "422", "429"})


@dataclass(frozen=True)
class Catalogue:
    run: str
    read_ids: tuple[int, ...]
    write_ids: tuple[int, ...]

    def line(self, n: int) -> Line:
        spread = len(self.write_ids)
        return self.write_ids[n % spread], n // spread % MAX_QUANTITY + 1


def prepare(base_url: str, api_key: str, writes: int) -> Catalogue:
    """Creates this run's products through the API (so caches and replicas see them as users do)."""
    run = secrets.token_hex(4)
    needed = {"r": READ_PRODUCTS, "w": max(WRITE_PRODUCTS, -(-writes // MAX_QUANTITY))}
    ids: dict[str, list[int]] = {"r": [], "w": []}
    with httpx.Client(base_url=base_url, timeout=15.0, headers={"X-API-Key": api_key}) as client:
        for kind, count in needed.items():
            for index in range(count):
                body = {
                    "sku": f"drill-{run}-{kind}{index}",
                    "name": f"drill {run} {kind}{index}",
                    "category": "drill",
                    "price_cents": 1,
                    "stock": STOCK,
                }
                response = client.post("/api/v1/products", json=body)
                response.raise_for_status()
                ids[kind].append(int(response.json()["id"]))
    return Catalogue(run, tuple(ids["r"]), tuple(ids["w"]))


def rows_sql(catalogue: Catalogue) -> str:
    """One line per order item of the run's write products, then one per product's stock."""
    products = ",".join(str(i) for i in catalogue.write_ids)
    return (
        f"SELECT 'item', product_id, quantity, order_id FROM order_items WHERE product_id IN ({products}) "  # noqa: S608 - integer ids this run created
        f"UNION ALL SELECT 'stock', id, stock, 0 FROM products WHERE id IN ({products})"
    )


@dataclass(frozen=True)
class Reconciliation:
    acknowledged: int
    lost: tuple[Line, ...]  # acknowledged, but no row with that order id
    present_unacknowledged: tuple[tuple[Line, str], ...]  # a row, and what its client saw
    stock_mismatch: tuple[int, ...]  # products whose stock is not start minus their orders

    @property
    def ambiguous_committed(self) -> int:
        return sum(outcome not in DEFINITE_FAILURES for _, outcome in self.present_unacknowledged)

    @property
    def ok(self) -> bool:
        definite = len(self.present_unacknowledged) - self.ambiguous_committed
        return not self.lost and not definite and not self.stock_mismatch


def reconcile(samples: Iterable[Sample], rows: list[list[str]]) -> Reconciliation:
    """`rows`: the output of `rows_sql`, as psql prints it (one list of fields per line)."""
    items = {(int(p), int(q)): int(order) for kind, p, q, order in rows if kind == "item"}
    stock = {int(p): int(s) for kind, p, s, _ in rows if kind == "stock"}
    writes = [sample for sample in samples if sample.line is not None]
    acknowledged = {s.line: s.order_id for s in writes if s.order_id is not None and s.line}
    lost = tuple(line for line, order in acknowledged.items() if items.get(line) != order)
    outcomes = {s.line: s.outcome for s in writes if s.line}
    present = tuple((line, outcomes.get(line, "unrecorded")) for line in items if line not in acknowledged)
    taken: dict[int, int] = {}
    for product, quantity in items:
        taken[product] = taken.get(product, 0) + quantity
    mismatch = tuple(p for p, s in sorted(stock.items()) if s != STOCK - taken.get(p, 0))
    return Reconciliation(len(acknowledged), lost, present, mismatch)
