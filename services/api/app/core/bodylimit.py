"""BodyLimitMiddleware, pure ASGI: 413 for request bodies over MAX_BODY_BYTES, declared or streamed."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLargeError(Exception):
    pass


# Closing a socket that still holds unread request bytes makes the kernel answer with RST, which
# can destroy the 413 before the client reads it; so an oversized body is read and dropped, up to
# this bound, before answering.
DRAIN_LIMIT_BYTES = 1024 * 1024


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = None, False
        for key, value in scope["headers"]:
            if key == b"content-length":
                declared = bytes(value)
            elif key == b"transfer-encoding":
                chunked = True
        if declared is None and not chunked:
            # No body at all (HTTP/1.1 sends one only with either header): nothing to count.
            await self.app(scope, receive, send)
            return
        if declared is not None and declared.isdigit() and int(declared) > self.max:
            drained = int(declared) <= DRAIN_LIMIT_BYTES and await self._drain(receive, more_body=True)
            await self._too_large(send, drained)
            return
        if declared is not None and not chunked and declared.isdigit():
            # Within the limit, and the server frames the body by its Content-Length: no more can
            # arrive, so there is nothing to count (every write: no wrapper per message).
            await self.app(scope, receive, send)
            return
        received = 0
        exceeded = started = False
        drained = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded, drained
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max:
                    exceeded = True
                    drained = await self._drain(receive, message.get("more_body", False))
                    raise BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            # Frameworks may turn the receive error into their own 400; the client gets the real 413.
            nonlocal started
            if exceeded:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._too_large(send, drained)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLargeError:
            if not started:
                await self._too_large(send, drained)

    @staticmethod
    async def _drain(receive: Receive, more_body: bool) -> bool:
        """Reads and drops the rest of the body; True when it all arrived within the bound."""
        dropped = 0
        while more_body and dropped <= DRAIN_LIMIT_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                return False
            dropped += len(message.get("body", b""))
            more_body = message.get("more_body", False)
        return not more_body

    async def _too_large(self, send: Send, drained: bool) -> None:
        body = orjson.dumps(
            {"error": "payload_too_large", "message": f"request body exceeds the limit of {self.max} bytes"}
        )
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if not drained:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
