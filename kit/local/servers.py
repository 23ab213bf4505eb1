"""Throw-away PostgreSQL and Redis servers on loopback, from Debian's packages.

The service and load tiers use real servers, never mocks. Each server gets a free port and a
temporary data directory, can be stopped and started again on the same port (to prove that the
API degrades and recovers), and is removed on close. `./scripts/test` installs the packages.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# initdb refuses to run as root; the Debian package creates this unprivileged user.
PG_SYSTEM_USER = "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def _as_postgres_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", PG_SYSTEM_USER, "--", *cmd] if os.geteuid() == 0 else cmd


class LocalPostgres:
    """A PostgreSQL 15 cluster owned by this process: `with LocalPostgres() as pg: pg.url`."""

    def __init__(self, *, user: str = "app", database: str = "app") -> None:
        self.port = free_port()
        self.user = user
        self.database = database
        self.password = secrets.token_hex(12)
        self._root = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.datadir = self._root / "data"
        self._log = self._root / "postgres.log"
        if os.geteuid() == 0:
            entry = pwd.getpwnam(PG_SYSTEM_USER)
            os.chown(self._root, entry.pw_uid, entry.pw_gid)
        self._initdb()

    def url(self, database: str | None = None, *, driver: str = "postgresql+asyncpg") -> str:
        db = database or self.database
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/{db}"

    def _run(self, cmd: list[str]) -> None:
        subprocess.run(_as_postgres_user(cmd), check=True, capture_output=True, cwd=self._root)

    def _initdb(self) -> None:
        pwfile = self._root / "pwfile"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(PG_SYSTEM_USER)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        self._run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                self.user,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        pwfile.unlink()
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self._root}'\nfsync = off\n"
                "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n"
            )
        self.start()
        self.execute(f"CREATE DATABASE {self.database}")

    def start(self) -> None:
        self._run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-l", str(self._log), "-w", "-t", "30", "start"]
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"])

    def execute(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL with psql over TCP and returns its unaligned output."""
        result = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PGPASSWORD": self.password},
        )
        return result.stdout.strip()

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalRedis:
    """A Redis 7 server owned by this process, password-protected, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self._root = Path(tempfile.mkdtemp(prefix="redis-test-"))
        self._proc: subprocess.Popen[bytes] | None = None
        self.start()

    def url(self, db: int = 0) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        log = (self._root / "redis.log").open("ab")
        self._proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--requirepass",
                self.password,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._root),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> LocalRedis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
