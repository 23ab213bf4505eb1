"""Probes and metrics. No rate limiting here: orchestrators and Prometheus must always get through."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.api.deps import AppServices, json_response
from app.api.lean import LeanRoute
from app.core import metrics
from app.core.db import DriverStatement, fetch_rows, pool_status

# Lean like every route: the probes take the Request alone (app/api/lean.py).
router = APIRouter(tags=["health"], route_class=LeanRoute)

LIVE = b'{"status":"ok"}'
PING = DriverStatement("SELECT 1", ())


@router.get("/health/live")
async def live() -> Response:
    """The process serves requests; checks no dependency (a restart would not fix them)."""
    return Response(LIVE, media_type="application/json")


async def _check(probe: Any, limit_seconds: float) -> str:
    try:
        async with asyncio.timeout(limit_seconds):
            await probe()
    except Exception as error:  # any failure means not ready; the reason goes in the body
        return f"error: {type(error).__name__}"
    return "ok"


@router.get("/health/ready", responses={503: {"description": "a dependency is unavailable"}})
async def ready(request: Request) -> Response:
    """Postgres `SELECT 1` and Redis `PING`, concurrently, each with a short timeout."""
    services: AppServices | None = getattr(request.app.state, "services", None)
    if services is None:
        return json_response({"status": "starting", "checks": {}}, 503)
    if request.app.state.drain.draining:  # shutting down: the load balancer must stop sending here
        return json_response({"status": "draining", "checks": {}}, 503)

    async def postgres() -> None:
        await fetch_rows(services.db, PING)

    async def redis() -> None:
        await services.redis.ping()

    timeout = services.settings.health_timeout_seconds
    pg, rd = await asyncio.gather(_check(postgres, timeout), _check(redis, timeout))
    ok = pg == rd == "ok"
    return json_response(
        {"status": "ok" if ok else "unavailable", "checks": {"postgres": pg, "redis": rd}}, 200 if ok else 503
    )


@router.get("/health/startup", responses={503: {"description": "still starting"}})
async def startup(request: Request) -> Response:
    """Migrations are applied and the service is wired; until then 503."""
    revision = getattr(request.app.state, "schema_revision", None)
    if getattr(request.app.state, "services", None) is None:
        return json_response({"status": "starting"}, 503)
    return json_response({"status": "ok", "schema_revision": revision})


@router.get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request) -> Response:
    services: AppServices | None = getattr(request.app.state, "services", None)
    if services is not None:
        metrics.record_pool(pool_status(services.db))
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
