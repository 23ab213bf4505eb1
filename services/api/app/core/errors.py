"""Domain errors and the handlers that turn every failure into the same JSON shape."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from app.core.db import CONNECTION_ERRORS, DatabaseUnavailableError
from app.core.logs import get_logger
from app.core.ratelimit import Decision

log = get_logger(__name__)


class ApiError(Exception):
    """An expected failure with its status, stable code, message and optional detail."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFoundError(ApiError):
    status, code = 404, "not_found"


class ConflictError(ApiError):
    status, code = 409, "conflict"


class InsufficientStockError(ConflictError):
    code = "insufficient_stock"


class UnauthorizedError(ApiError):
    status, code = 401, "unauthorized"


class RateLimitedError(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__("rate limited")
        self.decision = decision


def error_response(
    status: int, code: str, message: str, detail: Any = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


def _code_for(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "ApiKey"} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, exc.detail, headers)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(
        exc.status_code,
        _code_for(exc.status_code),
        str(exc.detail),
        None,
        dict(exc.headers) if exc.headers else None,
    )


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type", "")}
        for item in exc.errors()
    ]
    return error_response(422, "validation_error", "the request is not valid; see detail", detail)


async def _rate_limited(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimitedError)
    decision = exc.decision
    body = {
        "error": "rate_limited",
        "message": f"more than {decision.limit} requests in {decision.window_seconds} s",
        "limit": decision.limit,
        "window": decision.window_seconds,
        "retry_after": decision.retry_after,
    }
    return Response(orjson.dumps(body), 429, media_type="application/json")


async def _database_error(_: Request, exc: Exception) -> Response:
    # Connection-level failures (Postgres down, pool exhausted) are temporary: 503, not 500.
    # SQLAlchemy wraps the DBAPI's error, which its asyncpg adapter translated from asyncpg's (the cause).
    driver_error = getattr(getattr(exc, "orig", None), "__cause__", None)
    lost = isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(driver_error, CONNECTION_ERRORS)
    )
    unreachable = isinstance(exc, (OperationalError, PoolTimeoutError, OSError, DatabaseUnavailableError))
    if not (lost or unreachable):
        log.error("database error", exc_info=exc)
        return error_response(500, "internal_error", "an unexpected error occurred")
    log.warning("database unavailable", error=type(exc).__name__)
    return error_response(
        503, "service_unavailable", "the database is unavailable; retry shortly", headers={"Retry-After": "1"}
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RateLimitedError, _rate_limited)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _database_error)
    app.add_exception_handler(OSError, _database_error)
    app.add_exception_handler(DatabaseUnavailableError, _database_error)
