"""`python -m app`: validate settings, then run uvicorn on HOST:PORT with WEB_CONCURRENCY workers."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import uvicorn

from app.core.settings import SettingsError, get_settings

KEEP_ALIVE_SECONDS = 75
DEFAULT_MULTIPROC_DIR = "/tmp/prometheus-multiproc"  # noqa: S108 - tmpfs in the container, wiped per start


def _prepare_multiprocess_metrics(directory: str) -> None:
    # Must be set before any worker imports prometheus_client; stale files would double-count.
    shutil.rmtree(directory, ignore_errors=True)
    Path(directory).mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory


def main() -> None:
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"api: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    multiproc_dir = settings.prometheus_multiproc_dir or (
        DEFAULT_MULTIPROC_DIR if settings.web_concurrency > 1 else None
    )
    if multiproc_dir:
        _prepare_multiprocess_metrics(multiproc_dir)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.web_concurrency,
        # Chosen by scripts/bench-api: uvloop + httptools beat asyncio + h11 clearly.
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,  # the app writes its own JSON access line with the request id
        proxy_headers=False,  # X-Forwarded-For is honoured only from TRUSTED_PROXIES, by the app
        server_header=False,
        # Longer than nginx keeps an idle upstream connection (keepalive_timeout, 60 s by default):
        # with uvicorn's 5 s, nginx reused connections the API was closing that instant, and a POST
        # sent on one (never retried: not idempotent) was a 502 after any pause of over 5 s.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )


if __name__ == "__main__":
    main()
