"""Placing an order: one transaction that decrements stock and records the order.

Each line is a conditional UPDATE (`stock >= quantity`): the row lock serialises concurrent
orders for a product, and PostgreSQL re-checks the condition after the wait, so stock never goes
negative and no decrement is lost. Lines are taken in product-id order so two multi-line orders
lock rows in the same order and cannot deadlock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import InsufficientStockError, NotFoundError
from app.models import Base
from app.schemas.order import OrderLineIn

products, orders, order_items = (Base.metadata.tables[name] for name in ("products", "orders", "order_items"))


async def _take_stock(conn: AsyncConnection, line: OrderLineIn) -> int:
    """Decrements stock for one line and returns the unit price; raises if it cannot."""
    taken = await conn.execute(
        update(products)
        .where(products.c.id == line.product_id, products.c.stock >= line.quantity)
        .values(stock=products.c.stock - line.quantity)
        .returning(products.c.price_cents)
    )
    price = taken.scalar_one_or_none()
    if price is not None:
        return int(price)
    available = (
        await conn.execute(select(products.c.stock).where(products.c.id == line.product_id))
    ).scalar()
    if available is None:
        raise NotFoundError(f"product {line.product_id} does not exist")
    raise InsufficientStockError(
        f"not enough stock for product {line.product_id}",
        {"product_id": line.product_id, "requested": line.quantity, "available": int(available)},
    )


async def place(conn: AsyncConnection, lines: list[OrderLineIn]) -> dict[str, Any]:
    """Call inside a transaction (`engine.begin()`): any error rolls every line back."""
    priced = [(line, await _take_stock(conn, line)) for line in sorted(lines, key=lambda x: x.product_id)]
    total = sum(line.quantity * price for line, price in priced)
    order = (
        await conn.execute(
            insert(orders)
            .values(total_cents=total)
            .returning(orders.c.id, orders.c.status, orders.c.created_at)
        )
    ).one()
    items = [
        {
            "order_id": order.id,
            "product_id": line.product_id,
            "quantity": line.quantity,
            "unit_price_cents": price,
        }
        for line, price in priced
    ]
    await conn.execute(insert(order_items), items)
    return {
        "id": order.id,
        "status": order.status,
        "total_cents": total,
        "created_at": order.created_at,
        "items": [{k: item[k] for k in ("product_id", "quantity", "unit_price_cents")} for item in items],
    }
