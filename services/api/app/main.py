"""The application factory: `create_app()` wires settings, logging, middleware, routes, lifespan."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

import app
from app.api import health, orders, products
from app.api.deps import RATE_LIMIT_SCOPE_KEY, AppServices
from app.core import metrics
from app.core.bodylimit import BodyLimitMiddleware
from app.core.cache import ProductCache
from app.core.db import create_database, create_engine, pool_status
from app.core.drain import Drain
from app.core.errors import install_error_handlers
from app.core.logs import configure_logging, flush_logs, get_logger
from app.core.middleware import RequestContextMiddleware
from app.core.migrations import migrate
from app.core.pagecache import PageCache
from app.core.ratelimit import RateLimiter
from app.core.redis_client import create_redis
from app.core.settings import Settings, get_settings

log = get_logger(__name__)
POOL_METRICS_INTERVAL_SECONDS = 5.0
# Replicas may start before Postgres accepts connections (compose-style parallel start).
STARTUP_DB_WAIT_SECONDS = 60.0


async def _refresh_pool_metrics(services: AppServices) -> None:
    while True:
        services.db.close_idle_overflow()  # also when no request returns a connection
        metrics.record_pool(pool_status(services.db))
        await asyncio.sleep(POOL_METRICS_INTERVAL_SECONDS)


@asynccontextmanager
async def lifespan(application: FastAPI) -> AsyncIterator[None]:
    settings: Settings = application.state.settings
    redis = create_redis(settings)
    if settings.migrate_on_startup:
        engine = create_engine(settings)  # the migrations' only; requests take `Database`'s connections
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_delay(STARTUP_DB_WAIT_SECONDS),
                wait=wait_exponential(0.2, max=3),
                retry=retry_if_exception_type(OSError),
                reraise=True,
            ):
                with attempt:
                    application.state.schema_revision = await migrate(engine)
        finally:
            await engine.dispose()
    db = create_database(settings)
    services = AppServices(
        settings=settings,
        db=db,
        redis=redis,
        limiter=RateLimiter(redis, settings),
        cache=ProductCache(redis, settings.cache_ttl_seconds),
        pages=PageCache(settings.list_cache_seconds),
        key_hashes=frozenset(settings.api_key_hashes),
    )
    application.state.services = services
    application.state.drain.install()
    pool_metrics = asyncio.create_task(_refresh_pool_metrics(services))
    # Everything built so far lives as long as the process: keep it out of the cyclic collector,
    # whose full passes otherwise walk every module's objects again (CPU, and latency spikes).
    gc.freeze()
    log.info(
        "started",
        version=app.__version__,
        workers=settings.web_concurrency,
        rate_limit_enabled=settings.rate_limit_enabled,
    )
    try:
        yield
    finally:
        pool_metrics.cancel()
        with suppress(asyncio.CancelledError):
            await pool_metrics
        await redis.aclose()
        await db.dispose()
        metrics.mark_this_process_dead()
        log.info("stopped: connections closed")
        flush_logs()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.replica_id)
    application = FastAPI(
        title="proving-ground reference API",
        version=app.__version__,
        lifespan=lifespan,
        description="A small shop catalogue: products (cached reads, search), orders (transactional stock).",
    )
    application.state.settings = settings
    application.state.drain = Drain(settings.drain_seconds)
    install_error_handlers(application)
    # The routes go straight into the application's router: included routers stay nested, and
    # matching through each level cost ≈ 25 µs of CPU per request (scripts/bench-api). Their paths
    # already carry the routers' prefixes, and no router adds dependencies.
    for router in (products.router, orders.router, health.router):
        application.router.routes.extend(router.routes)
    if settings.cors_origins:
        application.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
        )
    application.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    # Added last, so outermost: it sees every response, including 413s and CORS preflights.
    application.add_middleware(
        RequestContextMiddleware,
        replica_id=settings.replica_id,
        access_log=settings.access_log,
        rate_limit_scope_key=RATE_LIMIT_SCOPE_KEY,
    )
    return application
