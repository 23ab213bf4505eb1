"""Name lookups of the API's dependencies (Postgres, Redis): each on threads of its own, bounded,
and failing fast for a moment after one failed.

On a Docker network a stopped container's name no longer resolves, and the embedded DNS can take
seconds to say so (10 s on this project's CI host). uvloop looks names up on libuv's single pool
of four threads, shared by every connection: with Postgres stopped, four hanging lookups of its
name starved Redis' reconnects, so even reads served from the Redis cache failed
(`scripts/drill restart-postgres`). Here each dependency looks its host up

- on an executor of its own, so a hanging name cannot delay another's;
- within min(the caller's timeout, LOOKUP_TIMEOUT_SECONDS): a container's name answers in
  milliseconds, one that takes a second is a container that is gone;
- and after a failure every caller fails at once for RETRY_SECONDS; then one caller probes again
  while the others keep failing fast, until a lookup succeeds.

Callers then connect to the address, so their driver looks nothing up itself (which also ends
uvloop's "Future exception was never retrieved" for lookups cancelled by a connect timeout).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

LOOKUP_TIMEOUT_SECONDS = 1.0
RETRY_SECONDS = 1.0


class LookupFailedError(OSError):
    """The host's name did not resolve (or not in time); the dependency counts as unreachable."""


def _numeric(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class HostLookup:
    """One dependency's lookups. Threads stuck in a hanging lookup stay in this executor only."""

    def __init__(self, dependency: str, threads: int = 8) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=f"lookup-{dependency}")
        self._failed_at: float | None = None
        self._failure = ""
        self._probing = False

    async def addresses(self, host: str, port: int, within: float) -> list[str]:
        """The host's addresses, each once, in the resolver's order, looked up within `within` seconds
        (at most LOOKUP_TIMEOUT_SECONDS); raises LookupFailedError."""
        if _numeric(host):
            return [host]
        if self._failed_at is not None:
            if self._probing or time.monotonic() - self._failed_at < RETRY_SECONDS:
                raise LookupFailedError(f"{host}: {self._failure}; not looked up again yet")
            self._probing = True
        job = self._executor.submit(partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM))
        try:
            found = await self._in_time(job, min(within, LOOKUP_TIMEOUT_SECONDS))
            addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
            if not addresses:
                raise LookupFailedError(f"{host}: no address")
        except (OSError, TimeoutError) as error:
            self._failed_at, self._failure = time.monotonic(), f"lookup failed ({type(error).__name__})"
            raise LookupFailedError(f"{host}: {self._failure}") from error
        finally:
            self._probing = False
        self._failed_at = None
        return addresses

    @staticmethod
    async def _in_time(job: Future[list[Any]], seconds: float) -> list[Any]:
        """The lookup's result, or TimeoutError if it has not finished within `seconds`. A lookup
        that finished in time, but whose result this event loop was too busy to take (a replica
        starved of CPU), is not a failed lookup: it must not stop every new connection for a second."""
        try:
            async with asyncio.timeout(seconds):
                return await asyncio.wrap_future(job)
        except TimeoutError:
            if job.done() and not job.cancelled() and job.exception() is None:
                return job.result()
            raise
