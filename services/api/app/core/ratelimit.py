"""Sliding-window rate limiting in Redis, merged with the cache read into one round trip.

The window is a sliding-window counter: the current fixed window's count plus the previous one's,
weighted by how much of it still overlaps the sliding window. It is O(1) in memory and time per
client (a sorted-set log grows with the limit, which load tests push into the thousands).
The Lua script is atomic; it optionally GETs a cache key in the same call, so a cache-hit read
costs a single Redis round trip including its rate-limit check.

If Redis is unavailable the limiter fails open: the request is served, counted in
rate_limit_fail_open_total, and the outage logged once. For REDIS_RETRY_SECONDS after a failure
requests do not wait on Redis at all; then one tries again, and the first success logs recovery.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.logs import get_logger
from app.core.metrics import RATE_LIMIT_FAIL_OPEN, RATE_LIMITED
from app.core.redis_client import commands_for
from app.core.resp import Script
from app.core.settings import Settings

Kind = Literal["read", "write"]

# KEYS: current window, previous window, [cache key]. ARGV: limit, window ms, previous-window weight.
SLIDING_WINDOW_LUA = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2])) end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local estimate = previous * tonumber(ARGV[3]) + current
local allowed = 1
if estimate > tonumber(ARGV[1]) then
  allowed = 0
  redis.call('DECR', KEYS[1])
  current = current - 1
end
local cached = false
if allowed == 1 and KEYS[3] then cached = redis.call('GET', KEYS[3]) end
return {allowed, current, previous, cached}
"""

log = get_logger(__name__)
REDIS_RETRY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int = 0
    remaining: int = 0
    reset_seconds: int = 0
    retry_after: int = 0
    window_seconds: int = 0
    cached: bytes | None = None

    @property
    def enforced(self) -> bool:
        return self.limit > 0

    def headers(self) -> list[tuple[bytes, bytes]]:
        if not self.enforced:
            return []
        pairs = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_seconds).encode()),
        ]
        if not self.allowed:
            pairs.append((b"retry-after", str(self.retry_after).encode()))
        return pairs


UNCHECKED = Decision(allowed=True)


def retry_after_seconds(limit: int, window: int, current: int, previous: int, offset: float) -> int:
    """Seconds until one more request fits, if the client sends nothing meanwhile.

    The estimate is previous * (1 - t / window) + current, t the offset into the current window.
    """
    if current < limit:
        # Refused because of the previous window's share, which fades within this window.
        fits_at = window * (1 - (limit - 1 - current) / previous)
        return max(1, math.ceil(fits_at - offset))
    # This window alone is full: wait for the next, until this window's count has faded enough.
    fades_after = window * (1 - (limit - 1) / current)
    return max(1, math.ceil(window - offset + fades_after))


class RateLimiter:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        # The request path's lean client (app/core/resp.py), when create_redis made `redis`.
        self._redis = commands_for(redis)
        self._script = Script(SLIDING_WINDOW_LUA)
        self._enabled = settings.rate_limit_enabled
        self._window = settings.rate_limit_window_seconds
        self._limits: dict[Kind, int] = {
            "read": settings.rate_limit_read_limit,
            "write": settings.rate_limit_write_limit,
        }
        self._redis_down = False
        # After a failure, requests skip Redis for a moment instead of each paying a timeout.
        self._skip_redis_until = 0.0

    @property
    def enabled(self) -> bool:
        return self._enabled

    async def check(self, identity: str, kind: Kind, cache_key: str | None = None) -> Decision:
        """Counts one request of `identity`; with `cache_key`, also returns the cached value."""
        if not self._enabled:
            return Decision(allowed=True, cached=await self._get(cache_key) if cache_key else None)
        if self._redis_down and time.monotonic() < self._skip_redis_until:
            RATE_LIMIT_FAIL_OPEN.labels(kind=kind).inc()
            return UNCHECKED
        now = time.time()
        window_index, offset = divmod(now, self._window)
        limit = self._limits[kind]
        prefix = f"rl:{kind}:{identity}:"
        keys = [f"{prefix}{int(window_index)}", f"{prefix}{int(window_index) - 1}"]
        if cache_key:
            keys.append(cache_key)
        weight = 1.0 - offset / self._window
        try:
            allowed, current, previous, cached = await self._redis.evalsha(
                self._script, keys, [limit, self._window * 1000, f"{weight:.6f}"]
            )
        except (RedisError, OSError) as error:
            self._fail_open(kind, error)
            return UNCHECKED
        self._recovered()
        estimate = int(previous) * weight + int(current)
        reset = max(1, math.ceil(self._window - offset))
        if allowed:
            return Decision(True, limit, max(0, int(limit - estimate)), reset, 0, self._window, cached)
        RATE_LIMITED.labels(kind=kind).inc()
        retry = retry_after_seconds(limit, self._window, int(current), int(previous), offset)
        return Decision(False, limit, 0, reset, retry, self._window)

    async def _get(self, key: str) -> bytes | None:
        if self._redis_down and time.monotonic() < self._skip_redis_until:
            return None
        try:
            value = await self._redis.execute("GET", key)
        except (RedisError, OSError) as error:
            self._fail_open("read", error)
            return None
        self._recovered()
        return value.encode() if isinstance(value, str) else value

    def _fail_open(self, kind: Kind, error: Exception) -> None:
        RATE_LIMIT_FAIL_OPEN.labels(kind=kind).inc()
        self._skip_redis_until = time.monotonic() + REDIS_RETRY_SECONDS
        if not self._redis_down:
            self._redis_down = True
            log.warning("redis unavailable: rate limiting fails open", error=type(error).__name__)

    def _recovered(self) -> None:
        if self._redis_down:
            self._redis_down = False
            log.info("redis available again: rate limiting restored")
