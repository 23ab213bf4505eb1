"""Prometheus metrics. Several worker processes share them through PROMETHEUS_MULTIPROC_DIR.

The multiprocess mode is chosen by prometheus_client when the variable is set before this module is
imported; `python -m app` sets it before starting workers.
"""

from __future__ import annotations

import os
import platform

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

import app

# Dense below 200 ms, where the p95 SLO sits, so histogram_quantile is accurate around it.
LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.125,
    0.15,
    0.175,
    0.2,
    0.25,
    0.3,
    0.5,
    1.0,
    2.5,
    5.0,
)

HTTP_REQUESTS = Counter("http_requests", "HTTP requests served", ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "http_request_duration_seconds", "Time to serve a request", ["method", "route"], buckets=LATENCY_BUCKETS
)
HTTP_IN_PROGRESS = Gauge(
    "http_requests_in_progress", "Requests being served", ["method"], multiprocess_mode="livesum"
)
CACHE_REQUESTS = Counter("cache_requests", "Cache look-ups", ["cache", "result"])
RATE_LIMITED = Counter("rate_limit_rejected", "Requests refused with 429", ["kind"])
RATE_LIMIT_FAIL_OPEN = Counter(
    "rate_limit_fail_open", "Requests served unchecked because Redis was unavailable", ["kind"]
)
DB_POOL = Gauge("db_pool_connections", "Database pool connections", ["state"], multiprocess_mode="livesum")
BUILD_INFO = Gauge(
    "app_build_info", "Build information (value 1)", ["version", "python_version"], multiprocess_mode="max"
)
BUILD_INFO.labels(version=app.__version__, python_version=platform.python_version()).set(1)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> tuple[bytes, str]:
    """The text exposition of every worker's metrics (or this process's, with one worker)."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_this_process_dead() -> None:
    """Drops this worker's live gauges from the shared directory when it exits."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def record_pool(status: dict[str, int]) -> None:
    DB_POOL.labels(state="in_use").set(status["checked_out"])
    DB_POOL.labels(state="idle").set(status["idle"])
    DB_POOL.labels(state="overflow").set(status["overflow"])
