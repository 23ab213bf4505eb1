"""The async SQLAlchemy engine (asyncpg) and the driver-level path every route's statement takes.

Statements are built with SQLAlchemy (or written out, like the order's), compiled once to asyncpg's
SQL and run on the pooled connection's driver, one statement per request, reads and writes alike:
measured with scripts/bench-api, SQLAlchemy's execution layer costs ~400 µs of CPU per query on
top of asyncpg's ~200 µs, which halved the DB-read throughput. Outside a transaction asyncpg runs
each statement in autocommit, so a request is one round trip (no BEGIN / COMMIT): a write that must
be all-or-nothing is one statement (an order's stock check, decrements and inserts are one CTE).
SQLAlchemy's engine remains the pool (and runs the migrations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable
from sqlalchemy.util import await_only, greenlet_spawn

from app.core.lookup import HostLookup
from app.core.settings import Settings

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]
# Errors that mean the connection (or the server) is gone, not that the query is wrong. An
# InternalClientError is a connection whose protocol state is broken: e.g. Postgres, shutting down,
# sent "terminating connection" to an idle connection, which is used before its socket closes
# ("cannot switch to state 12; another operation (2) is in progress").
CONNECTION_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)


class DatabaseUnavailableError(Exception):
    """Postgres could not answer; the request may be retried (503)."""


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """A SQLAlchemy statement compiled once to asyncpg's `$n` SQL, with its parameter order."""

    sql: str
    parameters: tuple[str, ...]

    @classmethod
    def compile(cls, statement: Executable) -> DriverStatement:
        compiled = statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
        return cls(str(compiled), tuple(compiled.positiontup or ()))

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] for name in self.parameters]


def create_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # Connections die with a Postgres restart; recycling bounds how long a dead one can linger,
        # and SQLAlchemy invalidates the whole pool on the first disconnect error it sees.
        pool_recycle=1800,
        connect_args={
            "timeout": settings.db_pool_timeout_seconds,
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "application_name": f"api-{settings.replica_id}",
                # Reads render timestamps in Postgres (JSON text): always UTC, as the writes' are.
                "TimeZone": "UTC",
            },
        },
    )
    lookup, timeout = HostLookup("postgres"), settings.db_pool_timeout_seconds

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect_to_an_address(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        """asyncpg gets the address, looked up by the engine's own HostLookup (app/core/lookup.py):
        a lookup of a stopped Postgres' name cannot starve Redis' lookups, and fails fast."""
        host = params.get("host")
        if isinstance(host, str) and not host.startswith("/") and "ssl" not in params:
            port = int(params.get("port") or 5432)
            params["host"] = await_only(lookup.addresses(host, port, timeout))[0]

    return engine


async def fetch_rows(engine: AsyncEngine, statement: DriverStatement, **values: Any) -> list[Any]:
    """Runs a read-only statement on a pooled connection at the driver level; asyncpg Records
    (tuple-like: `row[0]`).

    The connection comes straight from the pool (`raw_connection`), without the Connection and
    AsyncConnection wrappers: one greenlet hop fewer each way, ≈ 30 µs per read.
    """
    try:
        pooled = await engine.raw_connection()
    except Exception as error:
        # No connection to be had (Postgres stopped, starting or shutting down; the pool exhausted):
        # nothing about this statement, so 503 whatever the driver raised. A server that is shutting
        # down refuses with the DBAPI's bare Error, which no handler maps: it was a 500.
        raise DatabaseUnavailableError(type(error).__name__) from error
    try:
        records = await pooled.driver_connection.fetch(statement.sql, *statement.arguments(values))  # type: ignore[union-attr]
    except asyncpg.IntegrityConstraintViolationError:
        # The server refused the statement (a duplicate sku, a product still ordered): its round
        # is complete and, outside a transaction, nothing is left open. The connection is fine.
        raise
    except BaseException as error:
        # SQLAlchemy did not see this error, and nothing rolls this connection back: whatever it
        # was (connection lost, a bad argument, a cancelled read), drop the connection rather than
        # return it in an unknown protocol state. E.g. asyncpg prepares with Parse/Describe/Flush,
        # no Sync, then encodes the arguments: one it cannot encode (DataError) leaves the server's
        # round open, its statement_timeout running, and the next read on it was cancelled.
        pooled.invalidate(error)
        if isinstance(error, CONNECTION_ERRORS):
            raise DatabaseUnavailableError(type(error).__name__) from error
        raise
    finally:
        # Returning it may close an overflow connection, which awaits: inside a greenlet.
        await greenlet_spawn(pooled.close)
    return records  # type: ignore[no-any-return]


def pool_status(engine: AsyncEngine) -> dict[str, int]:
    """Pool occupancy for the metrics gauges."""
    pool = engine.pool
    return {
        "size": int(pool.size()),  # type: ignore[attr-defined]
        "checked_out": int(pool.checkedout()),  # type: ignore[attr-defined]
        "overflow": max(0, int(pool.overflow())),  # type: ignore[attr-defined]
        "idle": int(pool.checkedin()),  # type: ignore[attr-defined]
    }
