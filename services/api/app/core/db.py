"""The async SQLAlchemy engine (asyncpg) and its pool."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core.settings import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # Connections die with a Postgres restart; recycling bounds how long a dead one can linger,
        # and SQLAlchemy invalidates the whole pool on the first disconnect error it sees.
        pool_recycle=1800,
        connect_args={
            "timeout": settings.db_pool_timeout_seconds,
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "application_name": f"api-{settings.replica_id}",
            },
        },
    )


def pool_status(engine: AsyncEngine) -> dict[str, int]:
    """Pool occupancy for the metrics gauges."""
    pool = engine.pool
    checked_out = int(pool.checkedout())  # type: ignore[attr-defined]
    return {
        "size": int(pool.size()),  # type: ignore[attr-defined]
        "checked_out": checked_out,
        "overflow": max(0, int(pool.overflow())),  # type: ignore[attr-defined]
        "idle": int(pool.checkedin()),  # type: ignore[attr-defined]
    }
