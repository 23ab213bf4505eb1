"""The suite's request path (load/suite/client.py) reports to Locust what FastHttpSession did: a
wrong status or body as a failure with its reason, a refused connection as the transport's error
(which the gate reads as "target not there"), success with the response's length. Run in a child
process: Locust patches the standard library with gevent on import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kit.local.servers import free_port

PRODUCT = b'{"id": 7, "sku": "s", "name": "n", "category": "toys", "price_cents": 1, "stock": 2}'

CHILD = textwrap.dedent(
    """
    import json, sys
    from locust import events
    from locust.env import Environment
    from load.suite import api
    from load.suite.scenarios import ApiActions, validated

    class User(ApiActions):
        abstract = False
        host = sys.argv[1]

    seen = []
    events.request.add_listener(lambda **kw: seen.append(kw))
    environment = Environment(user_classes=[User], events=events)
    user = User(environment)
    user.on_start()
    for target in ("/ok", "/wrong-status", "/wrong-body"):
        with user.api.get(target, name=target) as response:
            validated(response, 200, api.Product)
    with user.api.post("/created", name="/created", json_body={"a": 1}, headers=user.auth) as response:
        validated(response, 201, api.Product)
    closed = User(environment)
    closed.host = sys.argv[2]
    closed.on_start()
    with closed.api.get("/ok", name="closed") as response:
        validated(response, 200, api.Product)
    print(json.dumps([
        {"name": e["name"], "method": e["request_type"], "length": e["response_length"],
         "error": None if e["exception"] is None else repr(e["exception"]),
         "time_ok": e["response_time"] >= 0}
        for e in seen
    ]))
    """
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/ok":
            self._answer(200, PRODUCT)
        elif self.path == "/wrong-status":
            self._answer(500, b'{"error": "internal_error", "message": "boom"}')
        else:
            self._answer(200, b'{"id": "not a number"}')

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = json.loads(body) == {"a": 1} and self.headers["Content-Type"] == "application/json"
        self._answer(201 if ok else 400, PRODUCT)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_requests_are_reported_as_locust_reports_them(server: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, server, closed], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    events = {event["name"]: event for event in json.loads(done.stdout.strip().splitlines()[-1])}
    assert events["/ok"] == {
        "name": "/ok",
        "method": "GET",
        "length": len(PRODUCT),
        "error": None,
        "time_ok": True,
    }
    assert "expected HTTP 200, got 500: internal_error: boom" in events["/wrong-status"]["error"]
    assert "CatchResponseError" in events["/wrong-status"]["error"]
    assert "body is not a valid Product" in events["/wrong-body"]["error"]
    assert events["/created"]["method"] == "POST"
    assert events["/created"]["error"] is None
    assert "ConnectionRefused" in events["closed"]["error"]
