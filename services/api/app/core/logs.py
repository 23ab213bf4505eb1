"""JSON logs, one object per line on stdout, through structlog (stdlib records included).

The access line of every request is written directly (`access`), without structlog's processor
chain, and access lines go out in batches (app/core/logstream.py) rather than one write(2) each:
on a cheap request the log line cost as much as the request (scripts/bench-api), and under Docker
every write also costs the engine's log copier more than the request (docs/performance.md). The
request id of the request being served (`REQUEST_ID`) goes on every line logged meanwhile.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor

from app.core.logstream import LineStream, stdout_writer

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

_stream = LineStream(stdout_writer())
_access: dict[str, object] = {"enabled": True, "replica_id": ""}


class _TextLines:
    """The stdlib handler's text stream, onto the same lines: one order, whole lines."""

    def write(self, text: str) -> int:
        return _stream.write(text.encode())

    def flush(self) -> None:
        _stream.flush()


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
    handler = logging.StreamHandler(_TextLines())  # write and flush is all it uses
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
