"""Restore a dump into a stack: validate first, replace in one transaction, drop stale cache
entries, then prove the API ready through the load balancer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from kit.backup.archive import verify
from kit.backup.stack import BackupError, BadInputError, StackTarget, ensure_running, stderr_text

# Base tables holding at least one row (alembic's bookkeeping does not count as data).
NON_EMPTY_TABLES_SQL = """
SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
  AND table_name <> 'alembic_version'
  AND (xpath('/row/has_rows/text()', query_to_xml(
        format('SELECT EXISTS (SELECT FROM %I.%I) AS has_rows', table_schema, table_name),
        false, true, '')))[1]::text = 'true'
ORDER BY 1
"""
# The API caches product documents under "product:<id>" (services/api/app/core/cache.py). Only
# those go: rate-limit windows ("rl:*") stay valid across a restore. SCAN inside one script keeps
# it to one round trip; the cache is small (redisMaxmemory), so Redis is blocked for milliseconds.
DROP_KEYS_LUA = """
local cursor, dropped = '0', 0
repeat
  local reply = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = reply[1]
  for _, key in ipairs(reply[2]) do dropped = dropped + redis.call('UNLINK', key) end
until cursor == '0'
return dropped
"""
CACHE_KEY_PATTERN = "product:*"
READY_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Restored:
    file: Path
    seconds: float
    tables: int
    cache_keys_dropped: int
    revision: str | None


def restore(target: StackTarget, path: Path, *, replace_data: bool) -> Restored:
    if not path.is_file():
        raise BadInputError(f"{path}: no such backup file")
    ensure_running(target.postgres_container, "postgres")
    started = time.monotonic()
    tables = verify(target, path)  # a wrong or corrupt file stops here, nothing touched
    if not replace_data and (filled := non_empty_tables(target)):
        raise BadInputError(
            f"database '{target.database}' of stack '{target.stack}' has data in {', '.join(filled)}; "
            "restoring replaces it: run again with --yes to confirm"
        )
    with path.open("rb") as archive:
        result = target.postgres_exec(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                # Objects belong to the restoring user, so a dump moves between stacks whose
                # database users differ.
                "--no-owner",
                "--no-privileges",
                *target.pg_args(),
                f"--dbname={target.database}",
            ],
            stdin=archive,
        )
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore failed and was rolled back, the database is unchanged: {stderr_text(result)}"
        )
    dropped = drop_cached_products(target)
    wait_ready(target.lb_url)
    return Restored(path, time.monotonic() - started, len(tables), dropped, schema_revision(target))


def psql(target: StackTarget, sql: str) -> list[str]:
    result = target.postgres_exec(
        [
            "psql",
            "--no-psqlrc",
            "--tuples-only",
            "--no-align",
            "--set=ON_ERROR_STOP=1",
            *target.pg_args(),
            f"--dbname={target.database}",
            f"--command={sql}",
        ]
    )
    if result.returncode != 0:
        raise BackupError(f"psql failed: {stderr_text(result)}")
    return result.stdout.decode().split()


def non_empty_tables(target: StackTarget) -> list[str]:
    return psql(target, NON_EMPTY_TABLES_SQL)


def schema_revision(target: StackTarget) -> str | None:
    """Alembic's revision after the restore (None when the dump holds no alembic_version)."""
    try:
        return next(iter(psql(target, "SELECT version_num FROM alembic_version")), None)
    except BackupError:
        return None


def drop_cached_products(target: StackTarget) -> int:
    ensure_running(target.redis_container, "redis")
    result = target.redis_exec(
        ["redis-cli", "--no-auth-warning", "EVAL", DROP_KEYS_LUA, "0", CACHE_KEY_PATTERN]
    )
    reply = result.stdout.decode().strip()  # not a terminal: redis-cli prints the bare integer
    if result.returncode != 0 or not reply.isdigit():
        raise BackupError(
            f"restored, but dropping the cached products failed: {reply or stderr_text(result)}"
        )
    return int(reply)


class NotReadyError(BackupError):
    pass


def wait_ready(lb_url: str) -> None:
    @retry(
        retry=retry_if_exception_type((httpx.HTTPError, NotReadyError)),
        stop=stop_after_delay(READY_TIMEOUT_SECONDS),
        wait=wait_fixed(0.5),
        reraise=True,
    )
    def probe() -> None:
        # verify=False: with TLS on, the load balancer serves the stack's own self-signed certificate.
        response = httpx.get(f"{lb_url}/health/ready", verify=False, timeout=5)  # noqa: S501
        if response.status_code != httpx.codes.OK:
            raise NotReadyError(
                f"restored, but {lb_url}/health/ready answers {response.status_code}: {response.text}"
            )

    try:
        probe()
    except httpx.HTTPError as error:
        raise BackupError(f"restored, but {lb_url}/health/ready is unreachable: {error}") from error
