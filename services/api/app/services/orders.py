"""Placing an order: one statement that checks, decrements and records, all or nothing.

The statement locks every ordered product (`FOR UPDATE`, in product-id order, so two multi-line
orders cannot deadlock), then, only if every line has its product and enough stock, decrements
each and inserts the order and its lines; otherwise it changes nothing and names the first line
that failed, in product-id order. A concurrent order for the same product waits for the lock and
then sees the stock that order left (READ COMMITTED re-reads a locked row's latest version), so
stock never goes negative and no decrement is lost. One round trip, no BEGIN / COMMIT: measured,
the former transaction of 2 statements per line plus 2 inserts cost 6 round trips.

The decrement finds its rows by id (`id = ANY`, the primary key, as the lock does): joined to the
lines instead, its generic plan hashed them and scanned the whole products table for every order
(≈ 0.19 of the statement's 0.34 ms at 1,000 products, growing with the catalogue).
"""

from __future__ import annotations

from app.core.db import Database, DriverStatement, fetch_rows
from app.core.errors import InsufficientStockError, NotFoundError
from app.schemas.order import OrderLineIn

PLACE = DriverStatement(
    """
WITH lines AS (
    SELECT * FROM unnest($1::bigint[], $2::integer[]) AS line (product_id, quantity)
),
locked AS MATERIALIZED (
    SELECT id, stock, price_cents FROM products WHERE id = ANY ($1::bigint[]) ORDER BY id FOR UPDATE
),
checked AS MATERIALIZED (
    SELECT line.product_id, line.quantity, locked.stock, locked.price_cents
    FROM lines AS line LEFT JOIN locked ON locked.id = line.product_id
),
failed AS MATERIALIZED (
    SELECT product_id, quantity, stock FROM checked
    WHERE stock IS NULL OR stock < quantity ORDER BY product_id LIMIT 1
),
taken AS (
    UPDATE products SET stock = stock - (SELECT quantity FROM lines WHERE lines.product_id = products.id)
    WHERE id = ANY ($1::bigint[]) AND NOT EXISTS (SELECT FROM failed)
),
placed AS (
    INSERT INTO orders (total_cents)
    SELECT sum(quantity::bigint * price_cents) FROM checked HAVING NOT EXISTS (SELECT FROM failed)
    RETURNING id, status, total_cents, created_at
),
items AS (
    INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
    SELECT placed.id, checked.product_id, checked.quantity, checked.price_cents FROM placed, checked
)
SELECT
    (SELECT json_build_object(
        'id', placed.id, 'status', placed.status, 'total_cents', placed.total_cents,
        'created_at', placed.created_at,
        'items', (SELECT json_agg(json_build_object(
                      'product_id', product_id, 'quantity', quantity, 'unit_price_cents', price_cents)
                  ORDER BY product_id) FROM checked))::text
     FROM placed) AS document,
    failed.product_id, failed.quantity, failed.stock
FROM (SELECT) AS one LEFT JOIN failed ON true
""",
    ("product_ids", "quantities"),
)


async def place(db: Database, lines: list[OrderLineIn]) -> bytes:
    """The OrderOut document of the placed order; NotFoundError or InsufficientStockError (nothing
    changed) for the first line, in product-id order, that cannot be served."""
    rows = await fetch_rows(
        db,
        PLACE,
        product_ids=[line.product_id for line in lines],
        quantities=[line.quantity for line in lines],
    )
    document, product_id, requested, available = rows[0]
    if document is not None:
        return str(document).encode()
    if available is None:
        raise NotFoundError(f"product {product_id} does not exist")
    raise InsufficientStockError(
        f"not enough stock for product {product_id}",
        {"product_id": product_id, "requested": requested, "available": available},
    )
