"""The reference API as a child process on a free loopback port, its JSON log in a file.

`ApiProcess` is the one way the tests, the benchmarks and the load suite start the API;
`local_api` adds throw-away PostgreSQL and Redis (`python -m kit.local.api` runs one by hand).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kit.local.servers import LocalPostgres, LocalRedis, free_port

SERVICE_DIR = Path(__file__).resolve().parents[2] / "services" / "api"
TEST_API_KEY = "test-writer-key-0123456789"
TEST_API_KEY_HASH = hashlib.sha256(TEST_API_KEY.encode()).hexdigest()


class ApiProcess:
    """`with ApiProcess(database_url, redis_url, RATE_LIMIT_READ_LIMIT="5") as api: api.url`."""

    def __init__(
        self, database_url: str, redis_url: str, *, command: list[str] | None = None, **env: str
    ) -> None:
        """`command` replaces `python -m app` (e.g. another ASGI server); "{port}" in it is filled in."""
        self.port = free_port()
        self.command = [part.format(port=self.port) for part in command or [sys.executable, "-m", "app"]]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="api-", suffix=".log")[1])
        self.env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "API_KEY_HASHES": TEST_API_KEY_HASH,
            "REPLICA_ID": f"test-{self.port}",
            "SHUTDOWN_GRACE_SECONDS": "10",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, wait: bool = True, timeout: float = 60.0) -> ApiProcess:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS_")}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command,
                env={**environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=SERVICE_DIR,
            )
        if wait:
            self.wait_until_ready(timeout)
        return self

    def wait_until_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the API exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health/startup", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(
            f"the API on {self.url} was not started after {timeout:.0f} s:\n{self.log_text()[-3000:]}"
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        """Every log line, parsed; a line that is not one JSON object fails loudly."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]

    def access_line(self, request_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The access line of the request `request_id`, once the API has flushed it (access lines
        are written in batches, app/core/logstream.py)."""
        deadline = time.monotonic() + timeout
        while True:
            for record in self.log_records():
                if record.get("event") == "request" and record.get("request_id") == request_id:
                    return record
            if time.monotonic() > deadline:
                raise AssertionError(f"no access line of request {request_id!r} after {timeout:.0f} s")
            time.sleep(0.05)

    def signal(self, signum: signal.Signals = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code

    def close(self) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> ApiProcess:
        return self if self.proc else self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class LocalTarget:
    """An API on throw-away servers: its URL and write key, and the servers (to reach its data)."""

    url: str
    api_key: str
    postgres: LocalPostgres
    redis: LocalRedis


@contextmanager
def local_target(workers: int = 1, log_path: Path | None = None) -> Iterator[LocalTarget]:
    """The API on throw-away PostgreSQL and Redis; rate limits high enough never to throttle a
    load run."""
    api_key = secrets.token_urlsafe(24)
    with LocalPostgres() as postgres, LocalRedis() as redis:
        process = ApiProcess(
            postgres.url(),
            redis.url(),
            WEB_CONCURRENCY=str(workers),
            API_KEY_HASHES=api_key_hash(api_key),
            RATE_LIMIT_READ_LIMIT="100000000",
            RATE_LIMIT_WRITE_LIMIT="100000000",
            LOG_LEVEL="WARNING",
        )
        with process:
            yield LocalTarget(process.url, api_key, postgres, redis)
            if log_path is not None:
                log_path.write_text(process.log_text())


@contextmanager
def local_api(workers: int = 1, log_path: Path | None = None) -> Iterator[tuple[str, str]]:
    """Yields (base URL, write API key) of `local_target`."""
    with local_target(workers, log_path) as target:
        yield target.url, target.api_key


def main() -> None:
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with local_api(workers) as (url, api_key):
        print(
            f"export PG_API_KEY={api_key}\n# API on {url} with {workers} worker(s); Ctrl-C stops it",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
