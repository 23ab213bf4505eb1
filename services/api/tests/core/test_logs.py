"""The log stream: access lines in batches, every write whole lines within PIPE_BUF, in order."""

from __future__ import annotations

import asyncio

from app.core.logstream import FLUSH_SECONDS, PIPE_BUF, LineStream


def recording() -> tuple[LineStream, list[bytes]]:
    writes: list[bytes] = []
    return LineStream(writes.append), writes


def access_line(number: int) -> bytes:
    return b'{"event":"request","request_id":"%032d"}\n' % number


async def test_a_burst_of_access_lines_goes_out_within_the_interval_in_whole_pipe_sized_writes() -> None:
    stream, writes = recording()
    lines = [access_line(number) for number in range(301)]  # ≈ 20 KB
    per_write = PIPE_BUF // len(lines[0])
    for line in lines:
        stream.defer(line)
    assert len(writes) == len(lines) // per_write  # the writes that filled up; the rest waits
    await asyncio.sleep(FLUSH_SECONDS + 0.1)
    assert b"".join(writes) == b"".join(lines)
    assert len(writes) == -(-len(lines) // per_write)
    assert all(len(chunk) <= PIPE_BUF and chunk.endswith(b"\n") for chunk in writes)


async def test_an_event_line_goes_out_at_once_after_the_access_lines_before_it() -> None:
    stream, writes = recording()
    stream.defer(b"access\n")
    stream.write(b"event\n")
    stream.flush()  # what structlog and the stdlib handler do after every line
    assert writes == [b"access\nevent\n"]


def test_a_line_longer_than_pipe_buf_goes_alone_and_outside_an_event_loop_lines_go_at_once() -> None:
    stream, writes = recording()
    stream.defer(b"short\n")
    long_line = b"x" * (2 * PIPE_BUF) + b"\n"
    stream.defer(long_line)
    assert writes == [b"short\n", long_line]


def test_a_closed_stdout_loses_the_lines_but_raises_nothing() -> None:
    def closed(_: bytes) -> None:
        raise OSError(32, "Broken pipe")

    stream = LineStream(closed)
    stream.defer(b"access\n")
    stream.flush_now()
