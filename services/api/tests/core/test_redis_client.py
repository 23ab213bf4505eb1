"""Redis unreachable by name: the API degrades (fails open, not ready) and says so once, at warning,
without asyncio's "Future exception was never retrieved" errors for every lost name lookup."""

from __future__ import annotations

import time

import httpx

from kit.local.api import ApiProcess
from kit.local.servers import LocalPostgres

# `.invalid` never resolves (RFC 6761): every connect attempt fails its lookup with gaierror, as a
# stopped Redis container's name does on a Docker network.
UNRESOLVABLE_REDIS = "redis://:secret@redis-is-down.invalid:6379/0"


def test_unresolvable_redis_logs_one_warning_and_no_unretrieved_futures(postgres: LocalPostgres) -> None:
    # A connect timeout shorter than the lookup, so connects are cancelled while the name is being
    # looked up, as with a slow resolver (Docker's DNS for a stopped container) and the 0.25 s default.
    with ApiProcess(postgres.url(), UNRESOLVABLE_REDIS, REDIS_TIMEOUT_SECONDS="0.001") as api:
        with httpx.Client(base_url=api.url, timeout=10.0) as http:
            for _ in range(30):
                ready = http.get("/health/ready")
                assert ready.status_code == 503
                assert ready.json()["checks"]["redis"].startswith("error")
                assert http.get("/api/v1/products", params={"limit": 1}).status_code == 200  # fails open
            time.sleep(1.0)  # lookups still running finish, and their futures are released
            assert http.get("/health/live").status_code == 200
        log_text = api.log_text()
        records = api.log_records()
    assert "never retrieved" not in log_text
    assert [r["event"] for r in records if r["level"] in ("error", "critical")] == []
    warnings = [r["event"] for r in records if r["level"] == "warning"]
    assert warnings.count("redis unavailable: rate limiting fails open") == 1
