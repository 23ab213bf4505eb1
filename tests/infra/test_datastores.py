"""Postgres and Redis: the stack's credentials work, wrong or missing ones do not, schema at head."""

from __future__ import annotations

import shlex
from pathlib import Path

from alembic.script import ScriptDirectory

from tests.infra.stack import StackUnderTest, host

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "api" / "app" / "alembic"


def _psql(stack: StackUnderTest, container: str, password: str, sql: str) -> tuple[int, str]:
    pg = stack.outputs["postgres"]
    command = (
        f"PGPASSWORD={shlex.quote(password)} psql -h 127.0.0.1 -U {shlex.quote(pg['user'])} "
        f"-d {shlex.quote(pg['database'])} -v ON_ERROR_STOP=1 -Atc {shlex.quote(sql)}"
    )
    result = host(container).run(command)
    return result.rc, (result.stdout + result.stderr).strip()


def test_postgres_accepts_the_stack_credentials(stack: StackUnderTest, postgres_container: str) -> None:
    rc, out = _psql(stack, postgres_container, str(stack.outputs["postgresPassword"]), "SELECT 1")
    assert (rc, out) == (0, "1")


def test_postgres_rejects_a_wrong_password(stack: StackUnderTest, postgres_container: str) -> None:
    rc, out = _psql(stack, postgres_container, "not-the-password", "SELECT 1")
    assert rc != 0
    assert "password authentication failed" in out


def test_migrations_are_at_head(stack: StackUnderTest, postgres_container: str) -> None:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    rc, out = _psql(
        stack,
        postgres_container,
        str(stack.outputs["postgresPassword"]),
        "SELECT version_num FROM alembic_version",
    )
    assert (rc, out) == (0, head)


def test_redis_refuses_commands_without_the_password(redis_container: str) -> None:
    # env -u: the container may carry REDISCLI_AUTH for its own healthcheck.
    assert "NOAUTH" in host(redis_container).run("env -u REDISCLI_AUTH redis-cli -h 127.0.0.1 PING").stdout


def test_redis_accepts_the_password(stack: StackUnderTest, redis_container: str) -> None:
    auth = shlex.quote(str(stack.outputs["redisPassword"]))
    assert host(redis_container).check_output(f"REDISCLI_AUTH={auth} redis-cli -h 127.0.0.1 PING") == "PONG"
