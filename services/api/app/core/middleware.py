"""RequestContextMiddleware, pure ASGI (no per-request task or body copy, unlike
BaseHTTPMiddleware): X-Request-ID (echoed or generated), X-Replica-Id, security and rate-limit
headers, metrics by route template, one JSON access line; the last-resort 500 handler.

It runs on every request, so it does little per request: metric series are looked up once per
(method, route, status) and kept, generated request ids are a per-process random prefix and a
counter, and the access line is written without structlog's processors (app.core.logs.access).
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from typing import Any

import orjson
from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import app
from app.core import metrics
from app.core.logs import REQUEST_ID, access, get_logger

REQUEST_ID_SHAPE = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# Which build answered, next to which replica: a rolling update is done when every replica says the new one.
API_VERSION = (b"x-api-version", app.__version__.encode())
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
# Swagger UI loads its script and styles from jsDelivr; the policy allows exactly that.
DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    b"connect-src 'self'; frame-ancestors 'none'",
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

log = get_logger("app.access")
# Series kept per (method, route, status): bounded, as clients choose the method.
MAX_SERIES = 1024


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class RequestIds:
    """32 hex characters, unique per process and across processes (a random prefix each)."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count(1)

    def next(self) -> bytes:
        return f"{self._prefix}{next(self._counter):016x}".encode()


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, replica_id: str, access_log: bool, rate_limit_scope_key: str) -> None:
        self.app = app
        self.replica = replica_id.encode()
        self.access_log = access_log
        self.rate_limit_key = rate_limit_scope_key
        self.ids = RequestIds()
        self._in_progress: dict[str, Gauge] = {}
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming and REQUEST_ID_SHAPE.match(incoming) else self.ids.next()
        method = scope["method"]
        status = 500
        response_started = False
        extra = [
            (b"x-request-id", request_id),
            (b"x-replica-id", self.replica),
            API_VERSION,
            *SECURITY_HEADERS,
            DOCS_CSP if scope["path"] in DOCS_PATHS else API_CSP,
        ]

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                decision = scope.get(self.rate_limit_key)
                limit_headers = decision.headers() if decision is not None else []
                message = {**message, "headers": [*message.get("headers", ()), *extra, *limit_headers]}
            await send(message)

        in_progress = self._in_progress.get(method)
        if in_progress is None:
            in_progress = metrics.HTTP_IN_PROGRESS.labels(method=method)
            if len(self._in_progress) < MAX_SERIES:
                self._in_progress[method] = in_progress
        in_progress.inc()
        request_id_text = request_id.decode()
        token = REQUEST_ID.set(request_id_text)
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error")
            if not response_started:
                await self._internal_error(send_with_headers)
        finally:
            REQUEST_ID.reset(token)
            in_progress.dec()
            self._observe(scope, method, status, time.perf_counter() - started, request_id_text)

    @staticmethod
    async def _internal_error(send: Send) -> None:
        body = orjson.dumps({"error": "internal_error", "message": "an unexpected error occurred"})
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _observe(self, scope: Scope, method: str, status: int, seconds: float, request_id: str) -> None:
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        key = (method, template, status)
        series = self._series.get(key)
        if series is None:
            series = (
                metrics.HTTP_REQUESTS.labels(method=method, route=template, status=str(status)),
                metrics.HTTP_DURATION.labels(method=method, route=template),
            )
            if len(self._series) < MAX_SERIES:
                self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)
        if self.access_log:
            client = scope.get("client")
            access(
                {
                    "request_id": request_id,
                    "method": method,
                    "route": template,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": client[0] if client else None,
                }
            )
