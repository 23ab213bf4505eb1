"""Alembic migrations at start-up, under a Postgres advisory lock.

N replicas (or N workers) start at once: each takes the same session-level advisory lock, so one
migrates while the others wait, then find the schema at head and do nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.logs import get_logger

# Any constant shared by every replica; the value spells "pgapimig" in ASCII.
ADVISORY_LOCK_KEY = 0x7067_6170_696D_6967
SCRIPT_LOCATION = Path(__file__).resolve().parents[1] / "alembic"

log = get_logger(__name__)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> tuple[str | None, str | None]:
    before = _current_revision(connection)
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return before, _current_revision(connection)


async def migrate(engine: AsyncEngine) -> str | None:
    """Brings the schema to head; returns the revision. Safe to call from many processes at once."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        await conn.commit()
        try:
            before, after = await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            await conn.commit()
    if before == after:
        log.info("migrations already at head", revision=after)
    else:
        log.info("migrations applied", from_revision=before, to_revision=after)
    return after


if __name__ == "__main__":
    from app.core.db import create_engine
    from app.core.logs import configure_logging
    from app.core.settings import get_settings

    async def _main() -> None:
        settings = get_settings()
        configure_logging(settings.log_level, settings.replica_id)
        engine = create_engine(settings)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(_main())
