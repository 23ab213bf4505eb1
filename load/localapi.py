"""The reference API on 127.0.0.1 with throw-away PostgreSQL and Redis, for the load tests and for
measuring a profile without a stack: `python -m load.localapi` prints its URL and key, then waits.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stacktools.localservers import LocalPostgres, LocalRedis, free_port

from load import api

API_DIR = Path(__file__).resolve().parents[1] / "services" / "api"


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url + api.READY, timeout=2) as response:  # noqa: S310 (loopback URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the API at {url} was not ready after {timeout_s:.0f} s")


@contextmanager
def local_api(workers: int = 1, log_path: Path | None = None) -> Iterator[tuple[str, str]]:
    """Yields (base URL, write API key); rate limits high enough never to throttle a load run."""
    api_key = secrets.token_urlsafe(24)
    with LocalPostgres() as postgres, LocalRedis() as redis:
        port = free_port()
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": str(workers),
            "DATABASE_URL": postgres.url(),
            "REDIS_URL": redis.url(),
            "API_KEY_HASHES": hashlib.sha256(api_key.encode()).hexdigest(),
            "RATE_LIMIT_READ_LIMIT": "100000000",
            "RATE_LIMIT_WRITE_LIMIT": "100000000",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(API_DIR),
        }
        log = log_path.open("wb") if log_path else subprocess.DEVNULL
        process = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=API_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process)
            yield url, api_key
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if log_path:
                log.close()  # type: ignore[union-attr]


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
