"""The driver-level read path (app.core.db.fetch_rows) against real PostgreSQL: a failed read
must not leave its pooled connection unusable for the next request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import asyncpg  # type: ignore[import-untyped]
import pytest
from app.core import db as db_module
from app.core.db import Database, create_database, create_engine, pool_status
from app.core.migrations import migrate
from app.core.settings import Settings
from app.services import products

# Short, so the poisoned state shows up soon; long enough for a loaded machine's plain reads.
STATEMENT_TIMEOUT_MS = 500


@pytest.fixture
async def one_connection_db(new_database: Callable[[str], str]) -> AsyncIterator[Database]:
    """One pooled connection and no overflow: every read reuses the connection the last one had."""
    settings = Settings(database_url=new_database("pool"), redis_url="redis://127.0.0.1:6379/0")
    setup = create_engine(settings)  # the default statement timeout: migrations take longer
    try:
        await migrate(setup)
    finally:
        await setup.dispose()
    small = {"db_pool_size": 1, "db_max_overflow": 0, "db_statement_timeout_ms": STATEMENT_TIMEOUT_MS}
    db = create_database(settings.model_copy(update=small))
    product = {"sku": "pool-1", "name": "Mug", "description": "", "category": "t"}
    await products.create(db, {**product, "price_cents": 1, "stock": 1})
    yield db
    await db.dispose()


async def test_a_read_whose_argument_the_driver_cannot_encode_leaves_the_pool_usable(
    one_connection_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncpg prepares a statement with Parse/Describe/Flush (no Sync) and only then encodes the
    arguments; one it cannot encode (above bigint) leaves the server's round open, with its
    statement_timeout running, and the next query on that connection is cancelled."""
    engine = one_connection_db
    everything = products.ListFilter()
    for _ in range(5):
        await products.list_page(engine, everything, 20, None)
    # Without the API's cursor bounds (tests/api/test_products.py), the id reaches the driver.
    monkeypatch.setattr(products, "decode_cursor", int)
    with pytest.raises(asyncpg.DataError):
        await products.list_page(engine, everything, 20, str(2**63))
    monkeypatch.undo()
    await asyncio.sleep(2 * STATEMENT_TIMEOUT_MS / 1000)  # past the statement timeout

    for _ in range(20):
        page = json.loads(await products.list_page(engine, everything, 20, None))
        assert [item["sku"] for item in page["items"]] == ["pool-1"]
        assert json.loads(await products.get(engine, page["items"][0]["id"]))["sku"] == "pool-1"
    assert pool_status(engine)["checked_out"] == 0


async def test_connections_beyond_the_pool_stay_open_while_reused_and_close_once_idle(
    new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst above db_pool_size opens overflow connections; the next burst reuses them instead of
    connecting again, and they are closed once idle for OVERFLOW_IDLE_SECONDS."""
    settings = Settings(
        database_url=new_database("overflow"),
        redis_url="redis://127.0.0.1:6379/0",
        db_pool_size=1,
        db_max_overflow=2,
    )
    db = create_database(settings)
    try:
        first = [await db.acquire() for _ in range(3)]
        backends = {connection.get_server_pid() for connection in first}
        for connection in first:
            db.release(connection)
        assert pool_status(db)["idle"] == 3
        again = [await db.acquire() for _ in range(3)]
        assert {connection.get_server_pid() for connection in again} == backends  # none connected anew
        for connection in again:
            db.release(connection)
        db.close_idle_overflow()
        assert pool_status(db)["idle"] == 3  # not idle for long enough yet
        monkeypatch.setattr(db_module, "OVERFLOW_IDLE_SECONDS", 0.0)
        db.close_idle_overflow()
        assert pool_status(db) == {"size": 1, "checked_out": 0, "overflow": 0, "idle": 1}
    finally:
        await db.dispose()
