"""Product queries: keyset pagination, trigram search, and writes that report conflicts clearly;
each one statement at the driver level (app.core.db), compiled once.

Every statement returns response bytes, not rows: Postgres renders each row as JSON text
(json_build_object over the response's columns), so the app neither decodes nine typed columns per
row nor encodes them again; measured, that halved the API's CPU per 20-item page (≈ 250 → 115 µs).
Writes are single statements in autocommit: one round trip each (no BEGIN / COMMIT).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import (
    Integer,
    Select,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    true,
    update,
)

from app.core.db import Database, DriverStatement, fetch_rows
from app.core.errors import ApiError, ConflictError, NotFoundError
from app.models import Base
from app.schemas.common import PG_BIGINT
from app.schemas.product import ProductCreate, ProductOut, ProductUpdate

products = Base.metadata.tables["products"]
# Exactly the response's fields: a column added to the table does not leak into the API.
COLUMNS = tuple(products.c[name] for name in ProductOut.model_fields)
# One row as the JSON text of ProductOut; as text, because SQLAlchemy's connections decode json.
ROW_JSON = cast(
    func.json_build_object(*chain.from_iterable((literal_column(f"'{c.name}'"), c) for c in COLUMNS)), Text
)


@dataclass(frozen=True, slots=True)
class ListFilter:
    category: str | None = None
    min_price_cents: int | None = None
    max_price_cents: int | None = None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


# Exactly what encode_cursor writes: ASCII digits, no sign, spaces or `_` (which int() would take).
_CURSOR_TEXT = re.compile(r"id:(0|[1-9][0-9]{0,18})")


def decode_cursor(cursor: str) -> int:
    """The last id of the previous page; ApiError (400) unless it is one encode_cursor could have
    written: a non-negative id within PostgreSQL's bigint, so the query never sees an unstorable value."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    shape = _CURSOR_TEXT.fullmatch(text)
    if shape is None or int(shape[1]) > PG_BIGINT:
        raise ApiError("cursor is not valid: pass next_cursor from a previous page unchanged")
    return int(shape[1])


def _as_json(query: Select[Any]) -> DriverStatement:
    return DriverStatement.compile(query.with_only_columns(products.c.id, ROW_JSON))


def _page(rows: list[tuple[int, str]], next_cursor: str | None) -> bytes:
    """The ProductPage document from rows of (id, JSON text)."""
    items = ",".join(row[1] for row in rows)
    cursor = "null" if next_cursor is None else f'"{next_cursor}"'  # urlsafe base64: nothing to escape
    return f'{{"items":[{items}],"next_cursor":{cursor}}}'.encode()


@lru_cache(maxsize=16)
def _list_statement(after: bool, category: bool, min_price: bool, max_price: bool) -> DriverStatement:
    listed = products.alias("listed")
    page = select(listed.c.id).order_by(listed.c.id).limit(bindparam("limit"))
    if after:
        page = page.where(listed.c.id > bindparam("after_id"))
    if category:
        page = page.where(listed.c.category == bindparam("category"))
    if min_price:
        page = page.where(listed.c.price_cents >= bindparam("min_price"))
    if max_price:
        page = page.where(listed.c.price_cents <= bindparam("max_price"))
    # The page's ids first, then each one's document by its id: a plan that sorts (a category's
    # matches, say) would otherwise render every match as JSON before keeping `limit` of them.
    # The documents are a LATERAL subquery, so a nested loop over the page's ids: joined instead,
    # the generic plan (which cannot see the limit) took the page for a tenth of the table and
    # hashed all of it (6-8 ms a page at 31,000 products, against 0.2).
    ids = page.subquery("page")
    # (LIMIT 1, of a unique id, keeps the planner from flattening it back into a join.)
    one = literal_column("1", Integer)
    document = (
        select(ROW_JSON.label("document")).where(products.c.id == ids.c.id).limit(one).lateral("document")
    )
    statement = select(ids.c.id, document.c.document).select_from(ids.join(document, true()))
    return DriverStatement.compile(statement.order_by(ids.c.id))


# Best trigram match first: `<->` (1 - similarity) walked in order by the GiST trigram index
# (ix_products_name_trgm), which also narrows the ILIKE; the LIMIT applies to the index scan, so
# only the rows kept are read and rendered. Equally good matches come in the index's order.
SEARCH = _as_json(
    select(products.c.id)
    .where(products.c.name.ilike(bindparam("pattern"), escape="\\"))
    .order_by(products.c.name.op("<->")(bindparam("text", type_=Text)))
    .limit(bindparam("limit"))
)
BY_ID = _as_json(select(products.c.id).where(products.c.id == bindparam("product_id")))


async def list_page(db: Database, filters: ListFilter, limit: int, cursor: str | None) -> bytes:
    after_id = decode_cursor(cursor) if cursor else None
    statement = _list_statement(
        after_id is not None,
        filters.category is not None,
        filters.min_price_cents is not None,
        filters.max_price_cents is not None,
    )
    rows = await fetch_rows(
        db,
        statement,
        limit=limit + 1,
        after_id=after_id,
        category=filters.category,
        min_price=filters.min_price_cents,
        max_price=filters.max_price_cents,
    )
    items = rows[:limit]
    return _page(items, encode_cursor(items[-1][0]) if len(rows) > limit else None)


async def search(db: Database, text: str, limit: int) -> bytes:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return _page(await fetch_rows(db, SEARCH, pattern=pattern, text=text, limit=limit), None)


async def get(db: Database, product_id: int) -> bytes:
    """The ProductOut document of one product."""
    rows = await fetch_rows(db, BY_ID, product_id=product_id)
    if not rows:
        raise NotFoundError(f"product {product_id} does not exist")
    document: str = rows[0][1]
    return document.encode()


CREATE = DriverStatement.compile(
    insert(products)
    .values({name: bindparam(f"v_{name}") for name in ProductCreate.model_fields})
    .returning(ROW_JSON)
)
# Fields not sent are NULL and keep their value (the schema refuses an explicit null): one
# statement, prepared once, for every combination of changed fields.
UPDATE = DriverStatement.compile(
    update(products)
    .where(products.c.id == bindparam("product_id"))
    .values(
        {
            name: func.coalesce(bindparam(f"v_{name}", type_=products.c[name].type), products.c[name])
            for name in ProductUpdate.model_fields
        }
        | {"updated_at": func.now()}
    )
    .returning(ROW_JSON)
)
DELETE = DriverStatement.compile(
    delete(products).where(products.c.id == bindparam("product_id")).returning(products.c.id)
)


async def create(db: Database, fields: dict[str, Any]) -> bytes:
    """Inserts a product; its ProductOut document, rendered like the reads'."""
    try:
        rows = await fetch_rows(db, CREATE, **{f"v_{name}": value for name, value in fields.items()})
    except asyncpg.UniqueViolationError:
        raise ConflictError(f"a product with sku {fields['sku']!r} already exists") from None
    document: str = rows[0][0]
    return document.encode()


async def update_fields(db: Database, product_id: int, changes: dict[str, Any]) -> bytes:
    values = {f"v_{name}": changes.get(name) for name in ProductUpdate.model_fields}
    rows = await fetch_rows(db, UPDATE, product_id=product_id, **values)
    if not rows:
        raise NotFoundError(f"product {product_id} does not exist")
    document: str = rows[0][0]
    return document.encode()


async def remove(db: Database, product_id: int) -> None:
    try:
        rows = await fetch_rows(db, DELETE, product_id=product_id)
    except asyncpg.ForeignKeyViolationError:
        raise ConflictError(f"product {product_id} appears in orders and cannot be deleted") from None
    if not rows:
        raise NotFoundError(f"product {product_id} does not exist")
