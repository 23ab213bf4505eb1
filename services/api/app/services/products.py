"""Product queries: keyset pagination, trigram search, writes that report conflicts clearly."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import ApiError, ConflictError, NotFoundError
from app.models import Base

products = Base.metadata.tables["products"]
COLUMNS = tuple(products.c)


@dataclass(frozen=True, slots=True)
class ListFilter:
    category: str | None = None
    min_price_cents: int | None = None
    max_price_cents: int | None = None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        last_id = int(value)
        if prefix != "id" or last_id < 0:
            raise ValueError(prefix)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError("cursor is not valid: pass next_cursor from a previous page unchanged") from None
    return last_id


async def list_page(
    conn: AsyncConnection, filters: ListFilter, limit: int, cursor: str | None
) -> dict[str, Any]:
    query = select(*COLUMNS).order_by(products.c.id).limit(limit + 1)
    if cursor:
        query = query.where(products.c.id > decode_cursor(cursor))
    if filters.category is not None:
        query = query.where(products.c.category == filters.category)
    if filters.min_price_cents is not None:
        query = query.where(products.c.price_cents >= filters.min_price_cents)
    if filters.max_price_cents is not None:
        query = query.where(products.c.price_cents <= filters.max_price_cents)
    rows = [row._asdict() for row in await conn.execute(query)]
    more = len(rows) > limit
    items = rows[:limit]
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if more else None}


async def search(conn: AsyncConnection, text: str, limit: int) -> dict[str, Any]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = (
        select(*COLUMNS)
        .where(products.c.name.ilike(pattern, escape="\\"))
        .order_by(func.similarity(products.c.name, text).desc(), products.c.id)
        .limit(limit)
    )
    return {"items": [row._asdict() for row in await conn.execute(query)], "next_cursor": None}


async def get(conn: AsyncConnection, product_id: int) -> dict[str, Any]:
    row = (await conn.execute(select(*COLUMNS).where(products.c.id == product_id))).first()
    if row is None:
        raise NotFoundError(f"product {product_id} does not exist")
    return row._asdict()


async def create(conn: AsyncConnection, fields: dict[str, Any]) -> dict[str, Any]:
    try:
        row = (await conn.execute(insert(products).values(**fields).returning(*COLUMNS))).one()
    except IntegrityError:
        raise ConflictError(f"a product with sku {fields['sku']!r} already exists") from None
    return row._asdict()


async def update_fields(conn: AsyncConnection, product_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    query = (
        update(products)
        .where(products.c.id == product_id)
        .values(**changes, updated_at=func.now())
        .returning(*COLUMNS)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFoundError(f"product {product_id} does not exist")
    return row._asdict()


async def remove(conn: AsyncConnection, product_id: int) -> None:
    try:
        deleted = await conn.execute(
            delete(products).where(products.c.id == product_id).returning(products.c.id)
        )
        found = deleted.first() is not None
    except IntegrityError:
        raise ConflictError(f"product {product_id} appears in orders and cannot be deleted") from None
    if not found:
        raise NotFoundError(f"product {product_id} does not exist")
