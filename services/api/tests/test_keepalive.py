"""An idle keep-alive connection outlives nginx's reuse of it (upstream keepalive_timeout, 60 s).

uvicorn closed idle connections after 5 s; nginx, reusing one at that instant, got EOF and
answered a POST on it (never retried: not idempotent) with 502 after any pause of over 5 s.
"""

from __future__ import annotations

import socket
import time

import pytest

from kit.local.api import ApiProcess

pytestmark = pytest.mark.slow
REQUEST = b"GET /health/live HTTP/1.1\r\nHost: api\r\n\r\n"


def _exchange(connection: socket.socket) -> bytes:
    """One request and its whole response (headers and Content-Length body); b"" if closed."""
    connection.sendall(REQUEST)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            return received
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return head


def test_an_idle_connection_stays_open_past_uvicorns_old_5_s(api: ApiProcess) -> None:
    with socket.create_connection(("127.0.0.1", api.port), timeout=5) as connection:
        assert _exchange(connection).startswith(b"HTTP/1.1 200")
        time.sleep(6)
        assert _exchange(connection).startswith(b"HTTP/1.1 200")  # not b"": closed meanwhile
