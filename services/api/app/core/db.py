"""The API's PostgreSQL access: `Database`, a small pool of asyncpg connections that every
request's statement takes, and the SQLAlchemy engine that runs the migrations.

Statements are built with SQLAlchemy (or written out, like the order's), compiled once to asyncpg's
SQL and run on a pooled asyncpg connection, one statement per request, reads and writes alike.
Measured (scripts/bench-api and per call): SQLAlchemy's execution layer cost ~400 µs of CPU per
query on top of asyncpg's ~200 µs; then its pool alone, checking a raw connection out and back in
through greenlets, ≈ 95 µs per statement against asyncpg's ≈ 20 µs for the statement itself. Outside
a transaction asyncpg runs each statement in autocommit, so a request is one round trip (no BEGIN /
COMMIT): a write that must be all-or-nothing is one statement (an order's stock check, decrements
and inserts are one CTE). asyncpg keeps each statement prepared per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, make_url
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable
from sqlalchemy.util import await_only

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


# Connections die with a Postgres restart; recycling bounds how long a dead one can linger.
RECYCLE_SECONDS = 1800.0
# A connection opened beyond db_pool_size stays open while it is needed again within this time.
# Closed as soon as it was returned, a burst above the pool opened and closed connections all the
# time: ≈ 500 in a stress run, each a backend started, authenticated and its statements prepared
# again, right where the load was highest (docs/performance.md, "Third pass").
OVERFLOW_IDLE_SECONDS = 30.0


class DatabaseUnavailableError(Exception):
    """Postgres could not answer; the request may be retried (503)."""


class PoolTimeoutError(TimeoutError):
    """Every connection stayed in use for db_pool_timeout_seconds."""


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


def _server_settings(settings: Settings) -> dict[str, str]:
    return {
        "statement_timeout": str(settings.db_statement_timeout_ms),
        "application_name": f"api-{settings.replica_id}",
        # Reads render timestamps in Postgres (JSON text): always UTC, as the writes' are.
        "TimeZone": "UTC",
    }


# The requests' statements are prepared once per connection and planned once: each was checked
# (EXPLAIN) to have a generic plan as good as a per-value one, and the order's CTE, re-planned per
# execution in the default mode (its generic plan's estimates looked worse), cost 310 µs of
# PostgreSQL CPU against 125 µs.
REQUEST_SERVER_SETTINGS = {"plan_cache_mode": "force_generic_plan"}


def create_engine(settings: Settings) -> AsyncEngine:
    """SQLAlchemy's engine: the migrations' (requests use `Database`)."""
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # SQLAlchemy also invalidates the whole pool on the first disconnect error it sees.
        pool_recycle=RECYCLE_SECONDS,
        connect_args={
            "timeout": settings.db_pool_timeout_seconds,
            "server_settings": _server_settings(settings),
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


class Database:
    """asyncpg connections for the requests' statements: up to db_pool_size kept open, as many
    again (db_max_overflow) opened while every kept one is in use and closed once idle for
    OVERFLOW_IDLE_SECONDS, a request waiting at most db_pool_timeout_seconds for one. Taking and
    returning one is a list pop and append: the most recently returned is taken first, so the
    connections beyond what the load needs are the ones that stay idle.

    Connections connect to an address looked up by the pool's own HostLookup (app/core/lookup.py):
    a lookup of a stopped Postgres' name cannot starve Redis' lookups, and fails fast. A
    connection that failed is dropped, and after a lost connection (Postgres restarted or went
    away) every idle one too: they are as dead, and each would fail a request to find out.
    """

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url)
        self._host, self._port = url.host, int(url.port or 5432)
        self._connect_args: dict[str, Any] = {
            "user": url.username,
            "password": url.password,
            "database": url.database,
            "timeout": settings.db_pool_timeout_seconds,
            "server_settings": _server_settings(settings) | REQUEST_SERVER_SETTINGS,
            **dict(url.query),
        }
        self._keep = settings.db_pool_size
        self._most = settings.db_pool_size + settings.db_max_overflow
        self._timeout = settings.db_pool_timeout_seconds
        self._lookup = HostLookup("postgres")
        self._idle: list[Any] = []  # least recently returned first
        self._born: dict[Any, float] = {}
        self._returned: dict[Any, float] = {}
        self._open = 0  # connected, connecting or in use
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def _connect(self) -> Any:
        host = self._host
        if host and not host.startswith("/") and "ssl" not in self._connect_args:
            host = (await self._lookup.addresses(host, self._port, self._timeout))[0]
        connection = await asyncpg.connect(host=host, port=self._port, **self._connect_args)
        self._born[connection] = time.monotonic()
        return connection

    async def acquire(self) -> Any:
        deadline = time.monotonic() + self._timeout
        while True:
            while self._idle:
                connection = self._idle.pop()
                if connection.is_closed() or time.monotonic() - self._born[connection] > RECYCLE_SECONDS:
                    self._drop(connection)
                    continue
                return connection
            if self._open < self._most:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    await waiter
            except TimeoutError:
                raise PoolTimeoutError(f"no connection free within {self._timeout:g} s") from None
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    def release(self, connection: Any, *, broken: bool = False, lost: bool = False) -> None:
        """`broken`: drop this connection; `lost`: the server went away, drop the idle ones too."""
        if lost:
            while self._idle:
                self._drop(self._idle.pop())
        if broken or self._closed or connection.is_closed():
            self._drop(connection)
        else:
            self._idle.append(connection)
            self._returned[connection] = time.monotonic()
            self.close_idle_overflow()
        self._wake()

    def close_idle_overflow(self) -> None:
        """Closes the connections beyond db_pool_size idle for OVERFLOW_IDLE_SECONDS."""
        cutoff = time.monotonic() - OVERFLOW_IDLE_SECONDS
        while len(self._idle) > self._keep and self._returned[self._idle[0]] < cutoff:
            self._drop(self._idle.pop(0))

    def _drop(self, connection: Any) -> None:
        self._open -= 1
        self._born.pop(connection, None)
        self._returned.pop(connection, None)
        if not connection.is_closed():
            connection.terminate()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def dispose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            self._born.pop(connection, None)
            self._returned.pop(connection, None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=2)

    def status(self) -> dict[str, int]:
        """Pool occupancy for the metrics gauges."""
        return {
            "size": self._keep,
            "checked_out": self._open - len(self._idle),
            "overflow": max(0, self._open - self._keep),
            "idle": len(self._idle),
        }


def create_database(settings: Settings) -> Database:
    return Database(settings)


async def fetch_rows(db: Database, statement: DriverStatement, **values: Any) -> list[Any]:
    """Runs one statement on a pooled connection; asyncpg Records (tuple-like: `row[0]`)."""
    try:
        connection = await db.acquire()
    except Exception as error:
        # No connection to be had (Postgres stopped, starting or shutting down; the pool exhausted):
        # nothing about this statement, so 503 whatever the driver raised. A server that is shutting
        # down refuses with CannotConnectNowError, which no handler maps: it was a 500.
        raise DatabaseUnavailableError(type(error).__name__) from error
    try:
        records = await connection.fetch(statement.sql, *statement.arguments(values))
    except asyncpg.IntegrityConstraintViolationError:
        # The server refused the statement (a duplicate sku, a product still ordered): its round
        # is complete and, outside a transaction, nothing is left open. The connection is fine.
        db.release(connection)
        raise
    except BaseException as error:
        # Whatever else it was (connection lost, a bad argument, a cancelled statement), drop the
        # connection rather than keep it in an unknown protocol state. E.g. asyncpg prepares with
        # Parse/Describe/Flush, no Sync, then encodes the arguments: one it cannot encode (DataError)
        # leaves the server's round open, its statement_timeout running, and the next statement on
        # it was cancelled.
        lost = isinstance(error, CONNECTION_ERRORS)
        db.release(connection, broken=True, lost=lost)
        if lost:
            raise DatabaseUnavailableError(type(error).__name__) from error
        raise
    db.release(connection)
    return records  # type: ignore[no-any-return]


def pool_status(db: Database) -> dict[str, int]:
    """Pool occupancy for the metrics gauges."""
    return db.status()
