"""stdout for log lines: access lines in batches, every write whole lines of at most PIPE_BUF bytes.

Why batches: under Docker every write(2) to stdout wakes the engine's log copier (the container's
shim, then dockerd): ≈ 145 µs of host CPU per line written alone on this machine, ≈ 26 µs per line
32 to a write (docs/performance.md, "Third pass"). Why PIPE_BUF: stdout is a pipe that every
uvicorn worker of the container writes to, and only a write of at most PIPE_BUF bytes is never
interleaved with another writer's; so lines stay whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import sys
from collections.abc import Callable

# Access lines are written within this long of the first one pending.
FLUSH_SECONDS = 0.25
PIPE_BUF = select.PIPE_BUF  # 4096 on Linux


class LineStream:
    """Access lines (`defer`) are written together within FLUSH_SECONDS of the first; every other
    line (`write` then `flush`, as structlog calls them) at once, after the lines pending before it,
    so events are never late and the order is kept. Outside an event loop every line goes at once.
    Each write holds whole lines, at most PIPE_BUF bytes of them (a longer line goes alone)."""

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write
        self._chunk = bytearray()
        self._pending = False

    def write(self, data: bytes) -> int:
        self._add(data)
        return len(data)

    def flush(self) -> None:
        self.flush_now()

    def defer(self, line: bytes) -> None:
        self._add(line)
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
        self._send()

    def _add(self, data: bytes) -> None:
        if len(self._chunk) + len(data) > PIPE_BUF:
            self._send()
        self._chunk += data

    def _send(self) -> None:
        if not self._chunk:
            return
        chunk, self._chunk = bytes(self._chunk), bytearray()
        with contextlib.suppress(ValueError, OSError):  # stdout closed or gone at exit: lines lost
            self._write(chunk)


def stdout_writer() -> Callable[[bytes], None]:
    """Writes to file descriptor 1 directly (no buffer of Python's in between); through
    sys.stdout's bytes where stdout is no file (a test's capture)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        buffer = sys.stdout.buffer

        def through_buffer(data: bytes) -> None:
            buffer.write(data)
            buffer.flush()

        return through_buffer

    def to_fd(data: bytes) -> None:
        view = memoryview(data)
        while view:  # a regular file may take less than asked
            view = view[os.write(fd, view) :]

    return to_fd
