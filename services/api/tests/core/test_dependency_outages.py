"""A dependency that is going or gone, as `scripts/drill restart-postgres` found them on a stack:

- Postgres shutting down refuses new connections with "the database system is shutting down",
  which the driver raises as the DBAPI's bare Error: the read path turned it into a 500;
- a stopped container's name takes seconds to fail its lookup on Docker's DNS, and uvloop looks
  every name up on one shared pool: hanging Postgres lookups starved Redis' reconnects, so reads
  served from the Redis cache failed while Postgres was down;
- Postgres, shutting down, sends "terminating connection" to idle connections; one used before its
  socket closes raises asyncpg's InternalClientError (its protocol waits for the end of the error):
  a 500 on reads, and on writes;
- and with Redis down, every cache fill and invalidation waited for the whole connect timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from app.api.health import PING
from app.core import lookup
from app.core.db import DatabaseUnavailableError, create_database, create_engine, fetch_rows
from app.core.errors import _database_error as database_error_response
from app.core.lookup import HostLookup, LookupFailedError
from app.core.redis_client import create_redis
from app.core.settings import Settings
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kit.local.servers import LocalRedis

HANGING = "postgres-is-gone.test"
HANG_SECONDS = 3.0


def _error_response(code: str, message: str) -> bytes:
    fields = b"".join(kind + text.encode() + b"\0" for kind, text in
                      ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", message)))  # fmt: skip
    return b"E" + struct.pack("!i", 4 + len(fields) + 1) + fields + b"\0"


@pytest.fixture
async def shutting_down_postgres() -> AsyncIterator[int]:
    """A server that answers every connection as PostgreSQL does while it shuts down (57P03)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            (length,) = struct.unpack("!i", await reader.readexactly(4))
            (code,) = struct.unpack("!i", await reader.readexactly(4))
            await reader.readexactly(length - 8)
            if code != 80877103:  # not an SSLRequest: the startup message
                break
            writer.write(b"N")  # no TLS; the client sends its startup message next
        writer.write(_error_response("57P03", "the database system is shutting down"))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


def _settings(database_url: str, redis_url: str = "redis://127.0.0.1:1/0") -> Settings:
    return Settings(database_url=database_url, redis_url=redis_url, db_pool_timeout_seconds=5.0)


async def test_postgres_shutting_down_is_unavailable_not_an_error(shutting_down_postgres: int) -> None:
    engine = create_database(_settings(f"postgresql+asyncpg://app:pw@127.0.0.1:{shutting_down_postgres}/app"))
    try:
        with pytest.raises(DatabaseUnavailableError):
            await fetch_rows(engine, PING)
    finally:
        await engine.dispose()


@pytest.fixture
def hanging_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lookups of HANGING take HANG_SECONDS and then fail, as a stopped container's name does."""
    real = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == HANGING:
            time.sleep(HANG_SECONDS)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


async def _seconds(awaitable: Any) -> float:
    started = time.monotonic()
    with contextlib.suppress(DatabaseUnavailableError, LookupFailedError, RedisError):
        await awaitable
    return time.monotonic() - started


@pytest.mark.usefixtures("hanging_lookups")
async def test_a_hanging_postgres_lookup_fails_fast_and_leaves_redis_lookups_alone(
    redis_server: LocalRedis,
) -> None:
    by_name = redis_server.url(0).replace("127.0.0.1", "localhost")
    settings = _settings(f"postgresql+asyncpg://app:pw@{HANGING}:5432/app", by_name)
    engine, redis = create_database(settings), create_redis(settings)
    try:
        first = await _seconds(fetch_rows(engine, PING))
        assert first < lookup.LOOKUP_TIMEOUT_SECONDS + 0.5  # not the lookup's 3 s, nor the 5 s timeout
        # More requests meanwhile fail at once: no lookup of a name that just failed.
        many = await asyncio.gather(*(_seconds(fetch_rows(engine, PING)) for _ in range(20)))
        assert max(many) < 0.2
        await asyncio.sleep(lookup.RETRY_SECONDS)  # one request probes again (and waits); the rest fail fast
        probes = await asyncio.gather(*(_seconds(fetch_rows(engine, PING)) for _ in range(20)))
        assert sorted(probes)[-2] < 0.2
        # Threads stuck in Postgres lookups are the Postgres lookups' own: Redis connects as usual.
        started = time.monotonic()
        assert await redis.ping()
        assert time.monotonic() - started < 0.5
    finally:
        await redis.aclose()
        await engine.dispose()


@pytest.mark.usefixtures("hanging_lookups")
async def test_redis_commands_fail_fast_while_its_name_does_not_resolve() -> None:
    """Each cache fill and invalidation paid the whole connect timeout (0.25 s) during a Redis outage:
    the lookup was cancelled by the connect's own bound, so its failure never counted."""
    redis = create_redis(
        _settings("postgresql+asyncpg://app:pw@127.0.0.1:1/app", f"redis://:pw@{HANGING}:6379/0")
    )
    try:
        assert await _seconds(redis.set("k", "v")) < 0.5
        later = [await _seconds(redis.set("k", "v")) for _ in range(10)]
        assert max(later) < 0.05
    finally:
        await redis.aclose()


@pytest.mark.usefixtures("hanging_lookups")
async def test_a_lookup_succeeds_again_once_the_name_resolves(monkeypatch: pytest.MonkeyPatch) -> None:
    names = HostLookup("test")
    monkeypatch.setattr(lookup, "RETRY_SECONDS", 0.2)
    with pytest.raises(LookupFailedError):
        await names.addresses(HANGING, 5432, within=0.3)
    with pytest.raises(LookupFailedError, match="not looked up again yet"):
        await names.addresses("localhost", 5432, within=0.3)
    await asyncio.sleep(0.25)
    assert "127.0.0.1" in await names.addresses("localhost", 5432, within=1.0)
    assert await names.addresses("10.1.2.3", 5432, within=1.0) == ["10.1.2.3"]


async def test_a_connection_postgres_terminated_is_unavailable_for_reads_and_writes(
    new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(new_database("terminated"))
    db, engine = create_database(settings), create_engine(settings)  # requests' pool; migrations' engine
    broken = asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress")

    async def terminated(*_args: Any, **_kwargs: Any) -> Any:
        raise broken

    try:
        await fetch_rows(db, PING)  # connected: the pool holds a connection
        monkeypatch.setattr(asyncpg.Connection, "fetch", terminated)
        with pytest.raises(DatabaseUnavailableError):
            await fetch_rows(db, PING)
        monkeypatch.setattr(asyncpg.Connection, "prepare", terminated)
        with pytest.raises(DBAPIError) as caught:
            async with engine.begin() as conn:
                await conn.execute(text("SELECT 1"))
        response = await database_error_response(None, caught.value)  # type: ignore[arg-type]
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
    finally:
        monkeypatch.undo()
        await db.dispose()
        await engine.dispose()


async def test_a_lookup_done_while_the_event_loop_was_stalled_is_not_a_failure() -> None:
    """A replica starved of CPU takes a finished lookup's result late: that must not make every new
    connection fail for a second (with Postgres down, cached reads then fell back to it: 503)."""
    names = HostLookup("test")
    pending = asyncio.create_task(names.addresses("localhost", 5432, within=0.2))
    await asyncio.sleep(0)  # submitted; the resolver answers during the stall
    time.sleep(0.4)  # noqa: ASYNC251 - the stall under test: this event loop runs nothing meanwhile
    assert "127.0.0.1" in await pending
    assert "127.0.0.1" in await names.addresses("localhost", 5432, within=0.2)
