"""The shared Redis client: short timeouts so a dead Redis costs little per request."""

from __future__ import annotations

from redis.asyncio import Redis

from app.core.settings import Settings


def create_redis(settings: Settings) -> Redis:
    return Redis.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        # Fail fast and let the caller decide (fail open, or report not ready); no hidden retries.
        retry_on_timeout=False,
        retry=None,
        health_check_interval=30,
    )
