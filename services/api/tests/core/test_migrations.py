"""Several instances starting at once on an empty database migrate it exactly once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from app.core.migrations import head_revision

from kit.local.api import ApiProcess
from kit.local.servers import LocalPostgres, LocalRedis


def test_concurrent_start_migrates_once(
    postgres: LocalPostgres, redis_server: LocalRedis, new_database: Callable[[str], str]
) -> None:
    database_url = new_database("migrate")
    instances = [ApiProcess(database_url, redis_server.url(3)) for _ in range(3)]
    try:
        for instance in instances:
            instance.start(wait=False)
        with ThreadPoolExecutor(len(instances)) as pool:
            list(pool.map(lambda instance: instance.wait_until_ready(), instances))
        events = [record["event"] for instance in instances for record in instance.log_records()]
        assert events.count("migrations applied") == 1
        assert events.count("migrations already at head") == len(instances) - 1
    finally:
        for instance in instances:
            instance.close()
    database = database_url.rsplit("/", 1)[1]
    assert postgres.execute("SELECT version_num FROM alembic_version", database) == head_revision()
    assert postgres.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'", database) == "1"
