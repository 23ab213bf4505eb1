"""The shared Redis client: short timeouts so a dead Redis costs little per request.

Connections look the server's name up themselves before connecting, through the client's own
HostLookup (app/core/lookup.py: its own threads, bounded, failing fast for a moment after a
failure). uvloop's create_connection, given a name, starts its own lookup future on libuv's shared
pool and, when the connect is cancelled during the lookup (the connect timeout, a readiness
probe's timeout), abandons it; the lookup then fails (gaierror: a stopped Redis container's name
no longer resolves) and asyncio logs "Future exception was never retrieved" at error level, once
per connect attempt (MagicStack/uvloop#437). With a numeric address create_connection looks
nothing up; the failure reaches redis-py as a connection error, which the callers handle (fail
open, not ready) and log once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import Connection, SSLConnection
from redis.exceptions import NoScriptError

from app.core.lookup import LOOKUP_TIMEOUT_SECONDS, HostLookup
from app.core.resp import LeanRedis, Script
from app.core.settings import Settings


class _ResolveFirst(Connection):
    """A TCP connection that connects to each of the host's addresses in turn, looked up first."""

    _address: str | None = None

    def __init__(self, *args: Any, lookup: HostLookup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lookup = lookup

    async def _connect(self) -> None:
        # One bound for the lookup and every attempt, as the connect timeout bounded both before. The
        # lookup times itself out within it: cancelled from out here instead, it would not count as a
        # failed lookup, and every connect during an outage would wait for the whole bound again.
        bound = self.socket_connect_timeout
        loop = asyncio.get_running_loop()
        started = loop.time()
        addresses = await self._lookup.addresses(self.host, self.port, bound or LOOKUP_TIMEOUT_SECONDS)
        remaining = None if bound is None else max(0.0, bound - (loop.time() - started))
        async with asyncio.timeout(remaining):
            for attempt, address in enumerate(addresses, 1):
                self._address = address
                try:
                    await super()._connect()  # type: ignore[no-untyped-call]
                except OSError:
                    if attempt == len(addresses):
                        raise
                else:
                    return
                finally:
                    self._address = None

    def _connection_arguments(self) -> Mapping[str, Any]:
        arguments = dict(super()._connection_arguments())
        if self._address is not None:
            if arguments.get("ssl"):
                # The certificate is checked against the name, not the address connected to.
                arguments["server_hostname"] = self.host
            arguments["host"] = self._address
        return arguments


class ResolvingConnection(_ResolveFirst):
    pass


class ResolvingSSLConnection(_ResolveFirst, SSLConnection):
    pass


_RESOLVING: dict[type[Any], type[Any]] = {
    Connection: ResolvingConnection,
    SSLConnection: ResolvingSSLConnection,
}


class Commands:
    """The request path's Redis commands (`execute`, `evalsha`) through redis-py: for rediss://
    URLs, and for a client not made by create_redis. Replies and errors are LeanRedis'."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def execute(self, *args: Any) -> Any:
        return await self._redis.execute_command(*args)  # type: ignore[no-untyped-call]

    async def evalsha(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await self.execute("EVAL", script.source, len(keys), *keys, *args)


class AppRedis(Redis):
    """redis-py's client (the readiness probe's PING, and everything off the request path), carrying
    the request path's lean client (`commands`), which it closes with itself."""

    commands: LeanRedis | Commands

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        if isinstance(self.commands, LeanRedis):
            await self.commands.aclose()
        await super().aclose(close_connection_pool)


def commands_for(redis: Redis) -> LeanRedis | Commands:
    """The request path's commands for `redis`: the lean client create_redis gave it, if any."""
    if isinstance(redis, AppRedis):
        return redis.commands
    return Commands(redis)


def create_redis(settings: Settings) -> Redis:
    client: AppRedis = AppRedis.from_url(  # type: ignore[assignment]  # from_url builds cls
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        # Fail fast and let the caller decide (fail open, or report not ready); no hidden retries.
        retry_on_timeout=False,
        retry=None,
        health_check_interval=30,
    )
    # The URL's scheme picks the class (redis://, rediss://); connections are made on first use.
    pool = client.connection_pool
    if pool.connection_class in _RESOLVING:
        pool.connection_class = _RESOLVING[pool.connection_class]
        pool.connection_kwargs["lookup"] = HostLookup("redis")
    client.commands = Commands(client)
    if settings.redis_url.startswith("redis://"):
        client.commands = LeanRedis(
            settings.redis_url,
            timeout=settings.redis_timeout_seconds,
            connect_timeout=settings.redis_timeout_seconds,
        )
    return client
