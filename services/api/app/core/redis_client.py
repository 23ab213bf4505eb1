"""The shared Redis client: short timeouts so a dead Redis costs little per request.

Connections look the server's name up themselves before connecting. uvloop's create_connection,
given a name, starts its own lookup future and, when the connect is cancelled during the lookup
(the connect timeout, a readiness probe's timeout), abandons it; the lookup then fails (gaierror:
a stopped Redis container's name no longer resolves) and asyncio logs "Future exception was never
retrieved" at error level, once per connect attempt (MagicStack/uvloop#437). `loop.getaddrinfo`
awaited directly is cancelled with its caller, and with a numeric address create_connection looks
nothing up; the failure reaches redis-py as a connection error, which the callers handle (fail
open, not ready) and log once.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import Connection, SSLConnection

from app.core.settings import Settings


class _ResolveFirst(Connection):
    """A TCP connection that connects to each of the host's addresses in turn, looked up first."""

    _address: str | None = None

    async def _connect(self) -> None:
        # One bound for the lookup and every attempt, as the connect timeout bounded both before.
        async with asyncio.timeout(self.socket_connect_timeout):
            loop = asyncio.get_running_loop()
            found = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
            if not addresses:
                raise OSError(f"no address for {self.host}")
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


def create_redis(settings: Settings) -> Redis:
    client = Redis.from_url(
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
    pool.connection_class = _RESOLVING.get(pool.connection_class, pool.connection_class)
    return client
