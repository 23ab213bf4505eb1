"""Request-scoped dependencies: the app's services, client identity, rate limits, API-key auth."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

import orjson
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from redis.asyncio import Redis
from starlette.responses import Response

from app.api.lean import lean_form
from app.core.cache import ProductCache
from app.core.clientip import client_ip
from app.core.db import Database
from app.core.errors import RateLimitedError, UnauthorizedError
from app.core.pagecache import PageCache
from app.core.ratelimit import Decision, Kind, RateLimiter
from app.core.settings import Settings

# Where the middleware finds the decision to turn into X-RateLimit-* headers.
RATE_LIMIT_SCOPE_KEY = "app.rate_limit"

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="write API key")


@dataclass(frozen=True, slots=True)
class AppServices:
    settings: Settings
    db: Database
    redis: Redis
    limiter: RateLimiter
    cache: ProductCache
    pages: PageCache
    key_hashes: frozenset[str]


def services_of(request: Request) -> AppServices:
    services: AppServices = request.app.state.services
    return services


async def get_services(request: Request) -> AppServices:
    return services_of(request)


Services = Annotated[AppServices, Depends(get_services)]


def json_bytes_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status, media_type="application/json")


def json_response(document: object, status: int = 200) -> Response:
    return json_bytes_response(orjson.dumps(document), status)


def key_hash(api_key: str | None, services: AppServices) -> str | None:
    """SHA-256 of the presented key when it is one of ours. Only digests are compared or kept."""
    if not api_key:
        return None
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    return digest if digest in services.key_hashes else None


def client_identity(request: Request, services: AppServices, valid_key_hash: str | None = None) -> str:
    """Rate-limit bucket: the API key when valid, else the client address."""
    if valid_key_hash:
        return "key:" + valid_key_hash[:32]
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return "ip:" + client_ip(peer, forwarded, services.settings.trusted_proxy_networks)


def enforce(request: Request, decision: Decision) -> None:
    request.scope[RATE_LIMIT_SCOPE_KEY] = decision
    if not decision.allowed:
        raise RateLimitedError(decision)


async def limit_request(
    request: Request, services: AppServices, kind: Kind, cache_key: str | None = None
) -> Decision:
    # Who the client is only matters to a limiter that counts.
    identity = ""
    if services.limiter.enabled:
        identity = client_identity(request, services, key_hash(request.headers.get("x-api-key"), services))
    decision = await services.limiter.check(identity, kind, cache_key)
    enforce(request, decision)
    return decision


async def read_limited(request: Request, services: Services) -> Decision:
    return await limit_request(request, services, "read")


async def require_writer(request: Request, api_key: Annotated[str | None, Security(api_key_header)]) -> None:
    """Writes: counted against the write limit (per key, or per address for bad keys), then
    authorised. `api_key` declares the header and its security scheme (OpenAPI); `check_writer` reads it."""
    await check_writer(request)


@lean_form(require_writer)
async def check_writer(request: Request) -> None:
    services = services_of(request)
    api_key = request.headers.get("x-api-key")
    valid = key_hash(api_key, services)
    identity = client_identity(request, services, valid) if services.limiter.enabled else ""
    enforce(request, await services.limiter.check(identity, "write"))
    if valid is None:
        raise UnauthorizedError(
            "a valid X-API-Key header is required for writes"
            if api_key is None
            else "the X-API-Key is not valid"
        )


ReadLimited = Depends(read_limited)
Writer = Depends(require_writer)
