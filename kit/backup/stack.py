"""What backup and restore need to know about a stack, read from its outputs, and how they run
commands in its containers without putting a password on any command line."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from kit.outputs import StackNotFoundError, load_outputs


class BackupError(RuntimeError):
    """An operation failed; exit status 1."""


class BadInputError(BackupError):
    """The request cannot be carried out as given (no stack, no file, not a dump, refused); exit 2."""


@dataclass(frozen=True)
class StackTarget:
    stack: str
    postgres_container: str
    user: str
    database: str
    port: int
    password: str
    redis_container: str
    redis_user: str
    redis_password: str
    lb_url: str

    @classmethod
    def load(cls, stack: str) -> StackTarget:
        try:
            outputs = load_outputs(stack)
        except StackNotFoundError as error:
            raise BadInputError(str(error)) from error
        try:
            postgres: Mapping[str, Any] = outputs["postgres"]
            return cls(
                stack=stack,
                postgres_container=str(postgres["host"]),
                user=str(postgres["user"]),
                database=str(postgres["database"]),
                port=int(postgres["port"]),
                password=str(outputs["postgresPassword"]),
                redis_container=str(outputs["containers"]["redis"]),
                redis_user=str(outputs["redis"]["user"]),
                redis_password=str(outputs["redisPassword"]),
                lb_url=str(outputs["lbUrl"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BadInputError(f"stack '{stack}' outputs lack {error} (see docs/design.md)") from error

    def pg_args(self) -> list[str]:
        """Connection flags for pg_dump/pg_restore/psql: loopback TCP with the stack's password."""
        return ["--host=127.0.0.1", f"--port={self.port}", f"--username={self.user}"]

    def postgres_exec(
        self,
        argv: list[str],
        *,
        stdin: IO[bytes] | None = None,
        stdout: IO[bytes] | int = subprocess.PIPE,
    ) -> subprocess.CompletedProcess[bytes]:
        return container_exec(
            self.postgres_container, argv, {"PGPASSWORD": self.password}, stdin=stdin, stdout=stdout
        )

    def redis_exec(self, argv: list[str]) -> subprocess.CompletedProcess[bytes]:
        """`redis-cli …` as the stack's ACL user (its password in REDISCLI_AUTH)."""
        if argv[:1] == ["redis-cli"]:
            argv = ["redis-cli", "--user", self.redis_user, *argv[1:]]
        return container_exec(self.redis_container, argv, {"REDISCLI_AUTH": self.redis_password})


def container_exec(
    container: str,
    argv: list[str],
    secrets: Mapping[str, str],
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | int = subprocess.PIPE,
) -> subprocess.CompletedProcess[bytes]:
    """`docker exec` streaming stdin/stdout; `-e NAME` without a value passes each secret through
    this process's environment, so it never shows up in `ps` or in an error message."""
    env_flags = [flag for name in secrets for flag in ("-e", name)]
    interactive = ["-i"] if stdin is not None else []
    return subprocess.run(
        ["docker", "exec", *interactive, *env_flags, container, *argv],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, **secrets},
        check=False,
    )


def ensure_running(container: str, role: str) -> None:
    state = subprocess.run(
        ["docker", "container", "inspect", "--format", "{{.State.Running}}", container],
        capture_output=True,
        text=True,
        check=False,
    )
    if state.stdout.strip() != "true":
        raise BadInputError(f"the {role} container '{container}' is not running (is the stack up?)")


def stderr_text(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stderr.decode(errors="replace").strip() or f"exit status {result.returncode}"
