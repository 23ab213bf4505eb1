"""OpenAPI documentation of the error responses the routes can give."""

from __future__ import annotations

from typing import Any

from app.schemas.common import ErrorBody, RateLimitBody

_RATE_LIMIT_HEADERS = {
    name: {"schema": {"type": "integer"}, "description": description}
    for name, description in (
        ("X-RateLimit-Limit", "requests allowed per window"),
        ("X-RateLimit-Remaining", "requests left in the sliding window"),
        ("X-RateLimit-Reset", "seconds until the current window ends"),
        ("Retry-After", "seconds to wait"),
    )
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        if status == 429:
            documented[429] = {
                "model": RateLimitBody,
                "description": "rate limited",
                "headers": _RATE_LIMIT_HEADERS,
            }
        else:
            documented[status] = {"model": ErrorBody}
    return documented


READ_ERRORS = errors(400, 413, 422, 429, 503)
WRITE_ERRORS = errors(400, 401, 409, 413, 422, 429, 503)
