"""The users' requests: through their FastHttpUser's own HTTP client, reported to Locust's request
event as FastHttpSession reports them, with less work per request.

Measured per request (load/suite against the API, `python -m kit.bench.generator`), most of a
Locust process's CPU went to layers this suite does not use: geventhttpclient's UserAgent (a
request object, the URL parsed again, redirects, retries, a compatibility response) and
FastHttpSession's (default headers, the request's metadata, a context manager that copies the
response). Here a request goes straight to the HTTPClient the user's FastHttpUser pool holds for
its host (the same connections, timeouts and TLS settings), its body is read, and one request event
is fired with the same fields: request type, name (the route template), response time (to the
last byte of the body, as FastHttpSession measures it), response length, the exception (None,
the transport's error, or a CatchResponseError for a wrong status or body) and the user's context.

`with user.api.get(target, name=...) as response:` then works like Locust's
`catch_response=True`: `response.status_code`, `response.content`, `response.failure(reason)`,
reported when the block ends.
"""

from __future__ import annotations

import json
import time
from types import TracebackType
from typing import Any

from locust import FastHttpUser
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS
from locust.exception import CatchResponseError

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class Exchange:
    """One request's outcome, reported to Locust when its `with` block ends."""

    __slots__ = (
        "_client",
        "content",
        "error",
        "method",
        "name",
        "response_time",
        "started",
        "status_code",
        "target",
    )

    def __init__(self, client: ApiClient, method: str, target: str, name: str) -> None:
        self._client = client
        self.method = method
        self.target = target
        self.name = name
        self.status_code = 0
        self.content = b""
        self.error: BaseException | None = None
        self.response_time = 0.0
        self.started = 0.0

    def failure(self, reason: str) -> None:
        """Marks the request failed, unless the transport failed it already (that error is the
        one reported: the gate tells "target not there" from it)."""
        if self.error is None:
            self.error = CatchResponseError(reason)

    def __enter__(self) -> Exchange:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        if value is not None and not isinstance(value, CatchResponseError):
            return False  # a bug in the scenario: Locust counts it as the task's exception
        if value is not None:
            self.error = value
        self._client.report(self)
        return True


class ApiClient:
    def __init__(self, user: FastHttpUser) -> None:
        host = (user.host or "").rstrip("/")
        session = user.client
        # geventhttpclient's HTTPClient (a locust dependency, reached through locust only).
        self._http: Any = session.client.clientpool.get_client(host + "/")
        self._fire = user.environment.events.request.fire
        self._context = user.context
        self._host = host

    def get(self, target: str, *, name: str, headers: dict[str, str] | None = None) -> Exchange:
        return self.send("GET", target, name=name, headers=headers)

    def delete(self, target: str, *, name: str, headers: dict[str, str] | None = None) -> Exchange:
        return self.send("DELETE", target, name=name, headers=headers)

    def post(
        self, target: str, *, name: str, json_body: Any, headers: dict[str, str] | None = None
    ) -> Exchange:
        return self.send("POST", target, name=name, headers=headers, json_body=json_body)

    def patch(
        self, target: str, *, name: str, json_body: Any, headers: dict[str, str] | None = None
    ) -> Exchange:
        return self.send("PATCH", target, name=name, headers=headers, json_body=json_body)

    def send(
        self,
        method: str,
        target: str,
        *,
        name: str,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> Exchange:
        exchange = Exchange(self, method, target, name)
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {**JSON_HEADERS, **headers} if headers else JSON_HEADERS
        exchange.started = time.time()
        started = time.perf_counter()
        try:
            response = self._http.request(method, target, body=body, headers=headers)
            try:
                exchange.content = bytes(response.read())
            finally:
                response.release()
            exchange.status_code = response.status_code
        except FAILURE_EXCEPTIONS as error:
            exchange.error = error
        exchange.response_time = (time.perf_counter() - started) * 1000
        return exchange

    def report(self, exchange: Exchange) -> None:
        self._fire(
            request_type=exchange.method,
            name=exchange.name,
            response_time=exchange.response_time,
            response_length=len(exchange.content),
            exception=exchange.error,
            context=self._context(),
            response=exchange,
            start_time=exchange.started,
            url=self._host + exchange.target,
        )
