"""The request path's lean Redis client (app/core/resp.py) against a real Redis, and against servers
that refuse, hang or hang up: redis-py's exception classes, bounded waits, reconnects."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from app.core.ratelimit import SLIDING_WINDOW_LUA
from app.core.redis_client import AppRedis, Commands, commands_for, create_redis
from app.core.resp import LeanRedis, Script
from app.core.settings import Settings
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from kit.local.servers import LocalRedis, free_port


@pytest.fixture
async def lean(redis_server: LocalRedis) -> AsyncIterator[LeanRedis]:
    client = LeanRedis(redis_server.url(3), timeout=1.0, connect_timeout=1.0)
    yield client
    await client.aclose()


async def test_commands_and_replies_match_redis_py(lean: LeanRedis, redis_server: LocalRedis) -> None:
    assert await lean.execute("SET", "lean:k", b"\x00doc", "EX", 60) == b"OK"
    assert await lean.execute("GET", "lean:k") == b"\x00doc"
    assert await lean.execute("GET", "lean:missing") is None
    assert await lean.execute("DEL", "lean:k", "lean:missing") == 1
    with pytest.raises(ResponseError):
        await lean.execute("INCR", "lean:not-a-number-but", "extra")
    # The URL's database is selected: redis-py sees the key in db 3, not in db 0.
    await lean.execute("SET", "lean:db", b"3")
    async with Redis.from_url(redis_server.url(3)) as db3, Redis.from_url(redis_server.url(0)) as db0:
        assert await db3.get("lean:db") == b"3"
        assert await db0.get("lean:db") is None


async def test_a_script_is_loaded_when_the_server_does_not_have_it(lean: LeanRedis) -> None:
    script = Script("return {KEYS[1], ARGV[1], false}")
    await lean.execute("SCRIPT", "FLUSH")
    assert await lean.evalsha(script, ["a"], [7]) == [b"a", b"7", None]  # EVAL loaded it
    assert await lean.execute("SCRIPT", "EXISTS", script.sha) == [1]
    assert await lean.evalsha(script, ["b"], ["x"]) == [b"b", b"x", None]


async def test_concurrent_commands_each_get_their_own_reply(lean: LeanRedis) -> None:
    keys = [f"lean:c:{n}" for n in range(200)]
    await asyncio.gather(*(lean.execute("SET", key, key.encode()) for key in keys))
    values = await asyncio.gather(*(lean.execute("GET", key) for key in keys))
    assert values == [key.encode() for key in keys]


async def test_the_rate_limit_script_answers_alike_through_both_clients(redis_server: LocalRedis) -> None:
    script = Script(SLIDING_WINDOW_LUA)
    keys, args = ["lean:rl:1", "lean:rl:0"], [5, 60_000, "0.5"]
    async with Redis.from_url(redis_server.url(4)) as redis:
        lean = LeanRedis(redis_server.url(4), timeout=1.0, connect_timeout=1.0)
        try:
            first = await lean.evalsha(script, keys, args)
            second = await Commands(redis).evalsha(script, keys, args)
        finally:
            await lean.aclose()
    assert first == [1, 1, 0, None]
    assert second == [1, 2, 0, None]


async def test_a_wrong_password_is_a_redis_error(redis_server: LocalRedis) -> None:
    client = LeanRedis(f"redis://:wrong@127.0.0.1:{redis_server.port}/0", timeout=1.0, connect_timeout=1.0)
    try:
        with pytest.raises(ResponseError):
            await client.execute("PING")
    finally:
        await client.aclose()


async def test_a_refused_connection_fails_fast() -> None:
    client = LeanRedis(f"redis://:pw@127.0.0.1:{free_port()}/0", timeout=0.25, connect_timeout=0.25)
    started = time.monotonic()
    with pytest.raises(RedisConnectionError):
        await client.execute("GET", "k")
    assert time.monotonic() - started < 0.2
    await client.aclose()


@contextlib.asynccontextmanager
async def _server(answer: bool) -> AsyncIterator[tuple[int, list[asyncio.StreamWriter]]]:
    """A TCP server that reads commands and never answers (`answer` False), or answers +OK once and
    then hangs up."""
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read(1024)
        if answer:
            writer.write(b"+OK\r\n")
            await writer.drain()
            writer.close()
            return
        await asyncio.sleep(30)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, writers
    finally:
        server.close()
        for writer in writers:
            writer.close()


async def test_a_server_that_does_not_answer_costs_one_timeout_then_a_new_connection() -> None:
    async with _server(answer=False) as (port, writers):
        client = LeanRedis(f"redis://127.0.0.1:{port}/0", timeout=0.2, connect_timeout=0.2)
        started = time.monotonic()
        results = await asyncio.gather(
            *(client.execute("GET", "k") for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, RedisTimeoutError) for r in results)
        assert 0.15 < time.monotonic() - started < 0.6
        with pytest.raises(RedisTimeoutError):
            await client.execute("GET", "k")
        assert len(writers) == 2  # the timed-out connection was dropped; the next command connected again
        await client.aclose()


async def test_a_connection_closed_by_the_server_is_replaced() -> None:
    async with _server(answer=True) as (port, writers):
        client = LeanRedis(f"redis://127.0.0.1:{port}/0", timeout=1.0, connect_timeout=1.0)
        assert await client.execute("PING") == b"OK"
        for _ in range(50):  # until the protocol has seen the server close
            await asyncio.sleep(0.01)
            if client._protocol is not None and client._protocol.closed:
                break
        assert await client.execute("PING") == b"OK"
        assert len(writers) == 2
        await client.aclose()


def _settings(redis_url: str) -> Settings:
    return Settings(database_url="postgresql+asyncpg://app:pw@127.0.0.1:1/app", redis_url=redis_url)


async def test_create_redis_gives_the_request_path_the_lean_client_for_redis_urls_only(
    redis_server: LocalRedis,
) -> None:
    redis = create_redis(_settings(redis_server.url(0)))
    assert isinstance(redis, AppRedis)
    assert isinstance(commands_for(redis), LeanRedis)
    assert await commands_for(redis).execute("PING") == b"PONG"
    await redis.aclose()
    tls = create_redis(_settings(f"rediss://:pw@127.0.0.1:{redis_server.port}/0"))
    assert isinstance(commands_for(tls), Commands)
    await tls.aclose()
    async with Redis.from_url(redis_server.url(0)) as plain:
        assert isinstance(commands_for(plain), Commands)
