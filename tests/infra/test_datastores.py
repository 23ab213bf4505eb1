"""Postgres and Redis: the stack's credentials work, wrong or missing ones do not, schema at head;
scram-sha-256 only, and every client with the least it needs (the API's role owns its database and
nothing else; the API's Redis user cannot administer; the exporters only read)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tests.infra.stack import StackUnderTest, engine, host

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "api" / "app" / "alembic"
PG_HBA = "/var/lib/postgresql/data/pg_hba.conf"
SCRAM = "scram-sha-256"
SUPERUSER = "postgres"
# What the API's Redis user must be refused (all need @admin or @dangerous), and a script that
# would run one of them for it.
ADMIN_COMMANDS = [
    ("CONFIG", "GET", "maxmemory"),
    ("FLUSHALL",),
    ("FLUSHDB",),
    ("KEYS", "*"),
    ("DEBUG", "SLEEP", "0"),
    ("SHUTDOWN", "ABORT"),  # harmless if it were allowed: aborts a shutdown that is not happening
    ("ACL", "LIST"),
    ("EVAL", "return redis.call('FLUSHALL')", "0"),
]


def _psql(
    stack: StackUnderTest,
    container: str,
    password: str | None,
    sql: str,
    *,
    user: str | None = None,
    tcp: bool = True,
) -> tuple[int, str]:
    pg = stack.outputs["postgres"]
    secret = f"PGPASSWORD={shlex.quote(password)} " if password is not None else ""
    command = (
        f"{secret}psql --no-password {'-h 127.0.0.1 ' if tcp else ''}-U {shlex.quote(user or pg['user'])} "
        f"-d {shlex.quote(pg['database'])} -v ON_ERROR_STOP=1 -Atc {shlex.quote(sql)}"
    )
    result = host(container).run(f"env -u PGPASSWORD {command}")
    return result.rc, (result.stdout + result.stderr).strip()


def _admin_sql(stack: StackUnderTest, container: str, sql: str) -> str:
    rc, out = _psql(stack, container, str(stack.outputs["postgresAdminPassword"]), sql, user=SUPERUSER)
    assert rc == 0, out
    return out


def _env(stack: StackUnderTest, role: str) -> list[str]:
    [name] = stack.names(role)
    return list(engine().containers.get(name).attrs["Config"]["Env"] or [])


def _redis(container: str, user: str, password: str | None, *args: str) -> str:
    """redis-cli as `user` (password None: the container's own REDISCLI_AUTH, the exporter's)."""
    auth = f"REDISCLI_AUTH={shlex.quote(password)} " if password is not None else ""
    command = f"{auth}redis-cli --no-auth-warning -h 127.0.0.1 --user {shlex.quote(user)} {shlex.join(args)}"
    result = host(container).run(command)
    return (result.stdout + result.stderr).strip()


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
    user, password = stack.outputs["redis"]["user"], str(stack.outputs["redisPassword"])
    assert _redis(redis_container, user, password, "PING") == "PONG"


def test_pg_hba_allows_scram_sha_256_only(stack: StackUnderTest, postgres_container: str) -> None:
    rules = [
        line.split()
        for line in host(postgres_container).file(PG_HBA).content_string.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert rules, f"{PG_HBA} has no rules"
    methods = {fields[3] if fields[0] == "local" else fields[4] for fields in rules}
    assert methods == {SCRAM}, f"{PG_HBA} methods: {sorted(methods)}"
    # The server's own reading of the file, and of how it stores passwords.
    assert (
        _admin_sql(stack, postgres_container, "SELECT DISTINCT auth_method FROM pg_hba_file_rules") == SCRAM
    )
    assert _admin_sql(stack, postgres_container, "SHOW password_encryption") == SCRAM
    not_scram = _admin_sql(
        stack,
        postgres_container,
        "SELECT string_agg(rolname, ',') FROM pg_authid "
        "WHERE rolcanlogin AND rolpassword NOT LIKE 'SCRAM-SHA-256$%'",
    )
    assert not_scram == "", f"login roles without a SCRAM verifier: {not_scram}"


def test_postgres_socket_asks_for_the_password_too(stack: StackUnderTest, postgres_container: str) -> None:
    rc, out = _psql(stack, postgres_container, None, "SELECT 1", tcp=False)
    assert rc != 0, "the Unix socket let a client in without a password"
    assert "password" in out, out
    rc, out = _psql(stack, postgres_container, str(stack.outputs["postgresPassword"]), "SELECT 1", tcp=False)
    assert (rc, out) == (0, "1")


def test_the_api_role_is_no_superuser_and_owns_only_its_database(
    stack: StackUnderTest, postgres_container: str
) -> None:
    password = str(stack.outputs["postgresPassword"])
    rc, out = _psql(
        stack,
        postgres_container,
        password,
        "SELECT rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls "
        "FROM pg_roles WHERE rolname = current_user",
    )
    assert (rc, out) == (0, "f"), (
        f"the API's role has superuser, createdb, createrole, replication or bypassrls: {out}"
    )
    rc, out = _psql(
        stack,
        postgres_container,
        password,
        "SELECT string_agg(datname, ',') FROM pg_database WHERE datdba = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user)",
    )
    assert (rc, out) == (0, stack.outputs["postgres"]["database"])


def test_the_exporter_role_only_monitors(stack: StackUnderTest, postgres_container: str) -> None:
    dsn = next(e for e in _env(stack, "postgres-exporter") if e.startswith("DATA_SOURCE_NAME="))
    user = dsn.removeprefix("DATA_SOURCE_NAME=postgresql://").split(":", 1)[0]
    assert user not in (stack.outputs["postgres"]["user"], SUPERUSER), f"the exporter logs in as {user}"
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", user), user  # an identifier: safe to quote below
    row = _admin_sql(
        stack,
        postgres_container,
        "SELECT rolsuper, pg_has_role(oid, 'pg_monitor', 'member'), "  # noqa: S608 - checked identifier
        f"(SELECT count(*) FROM pg_database WHERE datdba = r.oid) FROM pg_roles r WHERE rolname = '{user}'",
    )
    assert row == "f|t|0", f"exporter role {user}: superuser|pg_monitor member|databases owned = {row}"


def test_redis_default_user_is_disabled(redis_container: str) -> None:
    reply = (
        host(redis_container).run("env -u REDISCLI_AUTH redis-cli -h 127.0.0.1 AUTH default anything").stdout
    )
    assert "WRONGPASS" in reply or "disabled" in reply, reply


@pytest.mark.parametrize("command", ADMIN_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_the_api_redis_user_is_refused_admin_commands(
    stack: StackUnderTest, redis_container: str, command: tuple[str, ...]
) -> None:
    user, password = stack.outputs["redis"]["user"], str(stack.outputs["redisPassword"])
    reply = _redis(redis_container, user, password, *command)
    if command[0] == "DEBUG":  # refused to every user (enable-debug-command no) before ACLs are asked
        assert "NOPERM" in reply or "DEBUG command not allowed" in reply, reply
    else:
        assert "NOPERM" in reply or "can't run this command" in reply, f"{' '.join(command)}: {reply}"


def test_the_api_redis_user_can_do_its_work(stack: StackUnderTest, redis_container: str) -> None:
    user, password = stack.outputs["redis"]["user"], str(stack.outputs["redisPassword"])
    key = "infra-check:acl"
    assert _redis(redis_container, user, password, "SET", key, "1", "EX", "60") == "OK"
    assert (
        _redis(redis_container, user, password, "EVAL", "return redis.call('INCR', KEYS[1])", "1", key) == "2"
    )
    assert _redis(redis_container, user, password, "DEL", key) == "1"


def test_the_redis_exporter_user_only_reads(stack: StackUnderTest, redis_container: str) -> None:
    user = next(e for e in _env(stack, "redis-exporter") if e.startswith("REDIS_USER=")).split("=", 1)[1]
    assert user != stack.outputs["redis"]["user"]
    # Its password is the one the Redis container's healthcheck uses (REDISCLI_AUTH there).
    assert "redis_version:" in _redis(redis_container, user, None, "INFO", "server")
    assert "NOPERM" in _redis(redis_container, user, None, "SET", "infra-check:exporter", "1")
    assert "NOPERM" in _redis(redis_container, user, None, "GET", "infra-check:exporter")
