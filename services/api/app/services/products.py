"""Product queries: keyset pagination, trigram search (driver-level reads, see app.core.db), and
writes through SQLAlchemy Core that report conflicts clearly."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.core.db import DriverStatement, fetch_all
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


@lru_cache(maxsize=16)
def _list_statement(after: bool, category: bool, min_price: bool, max_price: bool) -> DriverStatement:
    query = select(*COLUMNS).order_by(products.c.id).limit(bindparam("limit"))
    if after:
        query = query.where(products.c.id > bindparam("after_id"))
    if category:
        query = query.where(products.c.category == bindparam("category"))
    if min_price:
        query = query.where(products.c.price_cents >= bindparam("min_price"))
    if max_price:
        query = query.where(products.c.price_cents <= bindparam("max_price"))
    return DriverStatement.compile(query)


SEARCH = DriverStatement.compile(
    select(*COLUMNS)
    .where(products.c.name.ilike(bindparam("pattern"), escape="\\"))
    .order_by(func.similarity(products.c.name, bindparam("text")).desc(), products.c.id)
    .limit(bindparam("limit"))
)
BY_ID = DriverStatement.compile(select(*COLUMNS).where(products.c.id == bindparam("product_id")))


async def list_page(
    engine: AsyncEngine, filters: ListFilter, limit: int, cursor: str | None
) -> dict[str, Any]:
    after_id = decode_cursor(cursor) if cursor else None
    statement = _list_statement(
        after_id is not None,
        filters.category is not None,
        filters.min_price_cents is not None,
        filters.max_price_cents is not None,
    )
    rows = await fetch_all(
        engine,
        statement,
        limit=limit + 1,
        after_id=after_id,
        category=filters.category,
        min_price=filters.min_price_cents,
        max_price=filters.max_price_cents,
    )
    more = len(rows) > limit
    items = rows[:limit]
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if more else None}


async def search(engine: AsyncEngine, text: str, limit: int) -> dict[str, Any]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return {
        "items": await fetch_all(engine, SEARCH, pattern=pattern, text=text, limit=limit),
        "next_cursor": None,
    }


async def get(engine: AsyncEngine, product_id: int) -> dict[str, Any]:
    rows = await fetch_all(engine, BY_ID, product_id=product_id)
    if not rows:
        raise NotFoundError(f"product {product_id} does not exist")
    return rows[0]


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
