"""Cache-aside for product documents: JSON bytes in Redis with a TTL, dropped on every write.

Reads come through RateLimiter.check (one round trip with the limit); misses fill, writes delete.
A Redis failure never fails the request: the cache is an optimisation.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.logs import get_logger
from app.core.metrics import CACHE_REQUESTS
from app.core.redis_client import commands_for

log = get_logger(__name__)
# Bound once: labels() costs a lock and a dict lookup on every request otherwise.
_HITS = CACHE_REQUESTS.labels(cache="product", result="hit")
_MISSES = CACHE_REQUESTS.labels(cache="product", result="miss")


def product_key(product_id: int) -> str:
    return f"product:{product_id}"


class ProductCache:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self._redis = commands_for(redis)  # the request path's lean client (app/core/resp.py)
        self._ttl = ttl_seconds

    @staticmethod
    def record(hit: bool) -> None:
        (_HITS if hit else _MISSES).inc()

    async def fill(self, product_id: int, document: bytes) -> None:
        try:
            await self._redis.execute("SET", product_key(product_id), document, "EX", self._ttl)
        except (RedisError, OSError) as error:
            log.warning("cache fill failed", product_id=product_id, error=type(error).__name__)

    async def invalidate(self, *product_ids: int) -> None:
        if not product_ids:
            return
        try:
            await self._redis.execute("DEL", *(product_key(pid) for pid in product_ids))
        except (RedisError, OSError) as error:
            # The TTL bounds how long a stale document can be served after this.
            log.warning(
                "cache invalidation failed", product_ids=list(product_ids), error=type(error).__name__
            )
