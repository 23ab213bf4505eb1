"""Alembic environment: always run by app.core.migrations with a connection it already holds."""

from __future__ import annotations

from alembic import context
from app.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through app.core.migrations (python -m app.core.migrations)")

context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
