"""A lean Redis client for the request path: the rate-limit script, cache reads, fills and
invalidations. redis-py stays for everything else (the readiness probe's PING, rediss:// URLs).

Why: per command, redis-py's asyncio client checks a connection out of its pool and back in,
runs its health check, packs through its encoder, reads through its parser class and applies a
response callback. Measured in a loop against a local Redis (uvloop), CPU per command, one at a
time / 32 at once: redis-py ≈ 125 / 62 µs (EVALSHA of the rate-limit script 144 / 62), this
client ≈ 51 / 12, against ≈ 115-135 µs for a whole minimal request. Here a command is packed by
hiredis, written to one shared connection, and its reply parsed by hiredis in the protocol's
`data_received`: replies come back in the order the commands were sent, so each waits on a
future in a queue, and concurrent requests' commands share the connection (and its system calls)
without a pool. `redis_max_connections` therefore bounds redis-py's pool only.

Behaviour matches the redis-py client it replaces on this path:
- errors are redis-py's exception classes (ConnectionError, TimeoutError, ResponseError,
  NoScriptError: all RedisError), so every caller's `except (RedisError, OSError)` holds;
- the connect looks the host up through its own HostLookup (app/core/lookup.py) within the
  connect timeout, then tries each address; every command waits at most `timeout` seconds for its
  reply, and a command that timed out closes the connection (a hung server, or a dead path, is
  not waited on by the next command: it reconnects);
- no retries: the caller decides (fail open).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from functools import partial
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.core.lookup import LOOKUP_TIMEOUT_SECONDS, HostLookup


class _Protocol(asyncio.Protocol):
    """One connection: commands written in order, replies matched to waiters in the same order.

    Commands are written together once per turn of the event loop (every request that reached
    Redis in that turn: one system call, not one each), and each batch has one timer: if its last
    reply has not come within the timeout, the connection goes, failing every command on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.reader = hiredis.Reader()
        self.waiters: deque[asyncio.Future[Any]] = deque()
        self.pending: list[bytes] = []
        self.written = 0  # commands written so far
        self.answered = 0  # replies read so far
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def send(self, command: bytes) -> asyncio.Future[Any]:
        waiter: asyncio.Future[Any] = self.loop.create_future()
        self.waiters.append(waiter)
        if not self.pending:
            self.loop.call_soon(self.flush)
        self.pending.append(command)
        return waiter

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if self.closed or self.transport is None or not pending:
            return  # their waiters failed with the connection
        self.transport.write(pending[0] if len(pending) == 1 else b"".join(pending))
        self.written += len(pending)
        self.loop.call_later(self.timeout, self.check, self.written)

    def check(self, written: int) -> None:
        if not self.closed and self.answered < written:
            # The server did not answer in time: whatever it sends later is not waited for.
            self.abort(RedisTimeoutError(f"no reply from Redis within {self.timeout:g} s"))

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        try:
            while (reply := self.reader.gets()) is not False:
                self.answered += 1
                waiter = self.waiters.popleft()
                if waiter.done():  # its caller was cancelled: the reply is dropped
                    continue
                if isinstance(reply, hiredis.ReplyError):
                    waiter.set_exception(_response_error(str(reply)))
                else:
                    waiter.set_result(reply)
        except (hiredis.ProtocolError, IndexError) as error:
            self.abort(RedisConnectionError(f"protocol error: {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(RedisConnectionError("connection to Redis lost"))

    def fail(self, error: Exception) -> None:
        self.closed = True
        self.pending = []
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(error)

    def abort(self, error: Exception) -> None:
        self.fail(error)
        if self.transport is not None:
            self.transport.abort()


def _response_error(message: str) -> ResponseError:
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    return ResponseError(message)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class LeanRedis:
    """`await client.execute("GET", key)`; `await client.evalsha(script, keys, args)`."""

    def __init__(self, url: str, *, timeout: float, connect_timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise ValueError("LeanRedis serves redis:// URLs (rediss:// stays with redis-py)")
        self._host = parts.hostname or "localhost"
        self._port = parts.port or 6379
        self._setup: list[tuple[Any, ...]] = []
        password = unquote(parts.password) if parts.password is not None else None
        if password:
            username = unquote(parts.username) if parts.username else None
            self._setup.append(("AUTH", username, password) if username else ("AUTH", password))
        database = parts.path.lstrip("/")
        if database and database != "0":
            self._setup.append(("SELECT", int(database)))
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._lookup = HostLookup("redis-lean")
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Future[_Protocol] | None = None

    async def execute(self, *args: Any) -> Any:
        protocol = self._protocol
        if protocol is None or protocol.closed:
            protocol = await self._connection()
        return await self._send(protocol, args)

    async def evalsha(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        """EVALSHA, then EVAL (which loads the script) if the server does not have it yet."""
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await self.execute("EVAL", script.source, len(keys), *keys, *args)

    async def _send(self, protocol: _Protocol, args: tuple[Any, ...]) -> Any:
        if protocol.closed or protocol.transport is None:
            raise RedisConnectionError("connection to Redis lost")
        return await protocol.send(hiredis.pack_command(args))

    async def _connection(self) -> _Protocol:
        """The shared connection, made by the first caller that needs it; concurrent callers wait
        for the same attempt and share its outcome (a caller cancelled meanwhile leaves it running)."""
        connecting = self._connecting
        if connecting is None or connecting.done():
            connecting = self._connecting = asyncio.ensure_future(self._connect())
            # Retrieved here too, so an attempt whose every caller was cancelled logs nothing.
            connecting.add_done_callback(_retrieve)
        return await asyncio.shield(connecting)

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        started = loop.time()
        bound = self._connect_timeout
        try:
            addresses = await self._lookup.addresses(self._host, self._port, bound or LOOKUP_TIMEOUT_SECONDS)
            remaining = max(0.0, bound - (loop.time() - started))
            async with asyncio.timeout(remaining):
                protocol = await self._open(loop, addresses)
                try:
                    for command in self._setup:
                        await self._send(protocol, command)
                except BaseException:
                    protocol.abort(RedisConnectionError("connection setup failed"))
                    raise
        except TimeoutError:
            raise RedisTimeoutError(f"could not connect to Redis within {bound:g} s") from None
        except OSError as error:
            raise RedisConnectionError(f"could not connect to Redis: {error}") from error
        self._protocol = protocol
        return protocol

    async def _open(self, loop: asyncio.AbstractEventLoop, addresses: list[str]) -> _Protocol:
        for attempt, address in enumerate(addresses, 1):
            try:
                _, protocol = await loop.create_connection(
                    partial(_Protocol, loop, self._timeout), address, self._port
                )
            except OSError:
                if attempt == len(addresses):
                    raise
            else:
                return protocol
        raise OSError("no address to connect to")

    async def aclose(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.fail(RedisConnectionError("client closed"))
            protocol.transport.close()


class Script:
    """A Lua script and its SHA-1, for LeanRedis.evalsha."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
