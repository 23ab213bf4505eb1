"""The log stream: access lines are batched, every other line is written at once and in order."""

from __future__ import annotations

import asyncio
import io

from app.core.logs import FLUSH_SECONDS, LineStream


class CountingSink(io.BytesIO):
    """What reached the file descriptor, and in how many writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data: bytes) -> int:  # type: ignore[override]  # bytes is all the stream sends
        self.writes += 1
        return super().write(data)


def buffered() -> tuple[LineStream, CountingSink]:
    sink = CountingSink()
    return LineStream(io.BufferedWriter(sink, 64 * 1024)), sink  # type: ignore[arg-type]


async def test_access_lines_of_a_burst_reach_stdout_in_one_write_within_the_flush_interval() -> None:
    stream, sink = buffered()
    for number in range(100):
        stream.defer(b'{"event":"request","n":%d}\n' % number)
    assert sink.writes == 0
    await asyncio.sleep(FLUSH_SECONDS + 0.1)
    assert sink.writes == 1
    assert sink.getvalue().count(b"\n") == 100


async def test_an_event_line_is_written_at_once_after_the_access_lines_before_it() -> None:
    stream, sink = buffered()
    stream.defer(b"access\n")
    stream.write(b"event\n")
    stream.flush()  # what structlog does after every line
    assert sink.getvalue() == b"access\nevent\n"


def test_outside_an_event_loop_every_access_line_is_written_at_once() -> None:
    stream, sink = buffered()
    stream.defer(b"access\n")
    assert sink.getvalue() == b"access\n"
