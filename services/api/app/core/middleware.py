"""RequestContextMiddleware, pure ASGI (no per-request task or body copy, unlike
BaseHTTPMiddleware): X-Request-ID (echoed or generated), X-Replica-Id, security and rate-limit
headers, metrics by route template, one JSON access line; the last-resort 500 handler.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import metrics
from app.core.logs import get_logger

REQUEST_ID_SHAPE = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
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


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, replica_id: str, access_log: bool, rate_limit_scope_key: str) -> None:
        self.app = app
        self.replica = replica_id.encode()
        self.access_log = access_log
        self.rate_limit_key = rate_limit_scope_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming and REQUEST_ID_SHAPE.match(incoming) else uuid.uuid4().hex.encode()
        method = scope["method"]
        status = 500
        response_started = False
        extra = [
            (b"x-request-id", request_id),
            (b"x-replica-id", self.replica),
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

        in_progress = metrics.HTTP_IN_PROGRESS.labels(method=method)
        in_progress.inc()
        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id.decode()):
                await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error", request_id=request_id.decode())
            if not response_started:
                await self._internal_error(send_with_headers)
        finally:
            in_progress.dec()
            self._observe(scope, method, status, time.perf_counter() - started, request_id)

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

    def _observe(self, scope: Scope, method: str, status: int, seconds: float, request_id: bytes) -> None:
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        metrics.HTTP_REQUESTS.labels(method=method, route=template, status=str(status)).inc()
        metrics.HTTP_DURATION.labels(method=method, route=template).observe(seconds)
        if self.access_log:
            client = scope.get("client")
            log.info(
                "request",
                request_id=request_id.decode(),
                method=method,
                route=template,
                path=scope["path"],
                status=status,
                duration_ms=round(seconds * 1000, 2),
                client=client[0] if client else None,
            )
