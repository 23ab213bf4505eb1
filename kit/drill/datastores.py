"""Drills on the API's dependencies: Redis stopped, Postgres stopped and started again."""

from __future__ import annotations

import time
from typing import ClassVar

import httpx

from kit.drill.base import Context, Drill, ensure_running, first_after, wait_until
from kit.drill.result import Check, DrillResult
from kit.drill.stats import window
from kit.drill.traffic import Sample


class StopRedis(Drill):
    name, title, alert = "stop-redis", "Redis stopped", "RedisDown"
    recovery = "Redis started → the API's rate limiter checks requests again"
    recovery_bound = 5.0  # the limiter tries Redis again a second after a failure

    def inject(self, ctx: Context) -> None:
        ctx.stack.container("redis").stop(timeout=5)

    def hold(self, ctx: Context) -> None:
        time.sleep(ctx.options.hold / 2)
        ctx.notes["readinessDuring"] = _readiness(ctx)
        time.sleep(ctx.options.hold / 2)

    def restore(self, ctx: Context) -> None:
        ensure_running(ctx, "redis")

    def recovered(self, ctx: Context, samples: list[Sample]) -> float | None:
        end = first_after(samples, ctx.restored_at, lambda s: s.limited)
        return None if end is None else end - ctx.restored_at

    def checks(self, ctx: Context, result: DrillResult) -> list[Check]:
        during = window(result.samples, ctx.fault_at + 1, ctx.restored_at)
        unchecked = sum(not s.limited for s in during if s.ok)
        ready = ctx.notes.get("readinessDuring", {})
        server_errors = [s for s in result.samples if not s.ok and not (s.http_error and s.outcome < "500")]
        return [
            Check("no 5xx, no connection error", not server_errors, f"{len(server_errors)}"),
            Check(
                "reads and writes served while Redis is down, rate limits failing open",
                all(s.ok for s in during) and unchecked == sum(s.ok for s in during),
                f"{sum(s.ok for s in during)} of {len(during)} served, {unchecked} unchecked",
            ),
            Check("readiness names Redis as what is down", _names_redis(ready), str(ready)),
        ]


def _names_redis(ready: dict[str, object]) -> bool:
    redis_error = str(ready.get("redis", "")).startswith("error")
    return ready.get("status") == 503 and redis_error and ready.get("postgres") == "ok"


def _readiness(ctx: Context) -> dict[str, object]:
    try:
        response = httpx.get(f"{ctx.stack.lb_url}/health/ready", timeout=5)
        return {"status": response.status_code, **response.json().get("checks", {})}
    except (httpx.HTTPError, ValueError) as error:
        return {"error": type(error).__name__}


class RestartPostgres(Drill):
    name, title, alert = "restart-postgres", "PostgreSQL stopped, then started", "PostgresDown"
    recovery = "Postgres accepts connections → the last failure (then ≥ 20 requests, all served)"
    recovery_bound = 5.0  # "full service within a few seconds": a failed lookup is retried after 1 s
    WRITE_TIMEOUT_S: ClassVar[float] = 6.0  # the API's pool/connect timeout (5 s) and a second
    SETTLED: ClassVar[int] = 20  # requests in a row served, a write and a listing among them

    def inject(self, ctx: Context) -> None:
        ctx.stack.container("postgres").stop(timeout=10)

    def restore(self, ctx: Context) -> None:
        """Starts it and waits until it accepts connections: that is when it is back."""
        ensure_running(ctx, "postgres")
        if "startedAfterS" not in ctx.notes and wait_until(ctx.stack.postgres_accepts, 60, every=0.1):
            started = ctx.restored_at
            ctx.restored_at = ctx.traffic.now()
            ctx.notes["startedAfterS"] = round(started - ctx.fault_at, 2)
            ctx.notes["acceptingAfterStartS"] = round(ctx.restored_at - started, 2)

    def recovered(self, ctx: Context, samples: list[Sample]) -> float | None:
        if "startedAfterS" not in ctx.notes:
            return None
        last_failure = max((s.ended for s in samples if not s.ok), default=ctx.restored_at)
        settled = [s for s in samples if s.started > last_failure]
        ops = {s.op for s in settled}
        if len(settled) < self.SETTLED or not {"order", "list"} <= ops:
            return None
        return max(0.0, last_failure - ctx.restored_at)

    def checks(self, ctx: Context, result: DrillResult) -> list[Check]:
        outage = window(result.samples, ctx.fault_at, ctx.restored_at)
        cached = [s for s in outage if s.op == "get"]
        failed = [s for s in result.samples if not s.ok]
        return [
            Check(
                "cached reads served",
                all(s.ok for s in cached),
                f"{sum(s.ok for s in cached)} of {len(cached)}",
            ),
            Check(
                "every failure a clean JSON 503 with Retry-After",
                all(s.outcome == "503" and s.clean for s in failed),
                f"{len(failed)} failed: {sorted({(s.outcome, s.clean) for s in failed})}",
            ),
            Check(
                f"no failure took longer than {self.WRITE_TIMEOUT_S:.0f} s",
                all(s.latency <= self.WRITE_TIMEOUT_S for s in failed),
                f"slowest {max((s.latency for s in failed), default=0):.2f} s",
            ),
        ]
