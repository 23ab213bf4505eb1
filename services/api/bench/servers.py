"""The ASGI servers the benchmark can compare, as command lines ("{port}" is filled in)."""

from __future__ import annotations

import importlib.util
import sys

FACTORY = "app.main:create_app"

SERVERS: dict[str, list[str]] = {
    # What `python -m app` (and the image) runs.
    "uvicorn-httptools": [sys.executable, "-m", "app"],
    "uvicorn-h11": [
        sys.executable,
        "-m",
        "uvicorn",
        FACTORY,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--http",
        "h11",
        "--loop",
        "asyncio",
        "--no-access-log",
        "--log-level",
        "warning",
    ],
    "granian": [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--no-access-log",
        FACTORY,
    ],
}


# Servers whose started process serves the requests itself (one worker): its CPU time is the server's.
SERVES_IN_PROCESS = frozenset({"uvicorn-httptools", "uvicorn-h11"})


def available(name: str) -> bool:
    module = {"granian": "granian"}.get(name)
    return module is None or importlib.util.find_spec(module) is not None
