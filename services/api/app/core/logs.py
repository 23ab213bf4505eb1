"""JSON logs, one object per line on stdout, through structlog (stdlib records included).

The access line of every request is written directly (`access`), without structlog's processor
chain, and access lines are flushed together within FLUSH_SECONDS rather than one write(2) each:
on a cheap request the log line cost as much as the request (measured with scripts/bench-api). Under
Docker every write also wakes the engine's log copier (dockerd and the container's shim): ≈ 100 µs
of host CPU per write on this machine, ≈ 20 µs per line when lines come in 64 KB batches
(docs/performance.md, "Third pass"), hence the large buffer and a quarter-second flush. The request
id of the request being served (`REQUEST_ID`) goes on every line logged meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import BinaryIO

import orjson
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor

FLUSH_SECONDS = 0.25
BUFFER_BYTES = 64 * 1024
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


class LineStream:
    """stdout for log lines. Access lines (`defer`) are flushed together within FLUSH_SECONDS of the
    first (one system call for a burst of requests); every other line is flushed at once, after the
    access lines before it, so events are never late and the order is kept. Outside an event loop
    every line is flushed at once."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._pending = False

    def write(self, data: bytes) -> int:
        return self._raw.write(data)

    def flush(self) -> None:
        """What structlog calls after every line."""
        self.flush_now()

    def defer(self, line: bytes) -> None:
        self._raw.write(line)
        if self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush_now()
            return
        self._pending = True
        loop.call_later(FLUSH_SECONDS, self.flush_now)

    def flush_now(self) -> None:
        self._pending = False
        with contextlib.suppress(ValueError, OSError):  # stdout closed or gone at exit
            self._raw.flush()


def _stdout_bytes() -> BinaryIO:
    """fd 1 behind a BUFFER_BYTES buffer (stdout's own holds 8 KB), never closing it; stdout's
    bytes as they are where stdout is no file (a test's capture)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        return sys.stdout.buffer
    return io.BufferedWriter(io.FileIO(fd, "wb", closefd=False), BUFFER_BYTES)


_stream = LineStream(_stdout_bytes())
_access: dict[str, object] = {"enabled": True, "replica_id": ""}


def flush_logs() -> None:
    _stream.flush_now()


def access(fields: dict[str, object]) -> None:
    """One access line: `event` "request" with `fields`, as structlog would have written it."""
    if not _access["enabled"]:
        return
    line = {
        "event": "request",
        **fields,
        "level": "info",
        "ts": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "replica_id": _access["replica_id"],
    }
    _stream.defer(orjson.dumps(line) + b"\n")


def _add_request_id(_: object, __: str, event: EventDict) -> EventDict:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def configure_logging(level: str, replica_id: str) -> None:
    """Routes structlog and stdlib logging (uvicorn, SQLAlchemy) to the same JSON stream."""

    def add_replica(_: object, __: str, event: EventDict) -> EventDict:
        event.setdefault("replica_id", replica_id)
        return event

    _access.update(enabled=logging.getLevelName(level) <= logging.INFO, replica_id=replica_id)
    shared: list[Processor] = [
        _add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        add_replica,
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.JSONRenderer(serializer=orjson.dumps)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # Bytes straight to stdout, flushed with the lines around them: no str round trip.
        logger_factory=structlog.BytesLoggerFactory(_stream),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(serializer=lambda obj, **_: orjson.dumps(obj).decode()),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # The app writes its own access line (with request id and route template).
    logging.getLogger("uvicorn.access").disabled = True


def get_logger(name: str) -> FilteringBoundLogger:
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
