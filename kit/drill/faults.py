"""The drills: one fault each, how it is undone, what recovery means and what must hold meanwhile.

Checks every drill shares (the ledger, no 500) are added by the runner; these are each fault's own.
"""

from __future__ import annotations

import time
from typing import ClassVar

import httpx

from kit.drill.base import Context, Drill, first_after, wait_until
from kit.drill.result import Check, DrillResult
from kit.drill.stats import in_flight, p99_ms, window
from kit.drill.traffic import Sample

SLACK = 0.25  # s: how far Docker's exit timestamp may be from the moment requests saw the process die


def _gets_served(samples: list[Sample]) -> Check:
    failed = [s for s in samples if s.op != "order" and not s.ok]
    return Check("every GET served", not failed, f"{len(failed)} failed")


def _ensure_running(ctx: Context, role: str) -> None:
    container = ctx.stack.container(role)
    container.reload()
    if container.status in ("exited", "created"):
        container.start()


class KillReplica(Drill):
    """SIGKILL to one replica's process, from outside Docker's API: a crash, as an OOM kill is.
    (`docker kill` marks the container as stopped by hand: its restart policy would not apply.)"""

    name, title = "kill-replica", "kill -9 one API replica"
    recovery = "kill → the replica answers through nginx again (restarted by `unless-stopped`)"
    # Docker restarts it at once; nginx tries it again after fail_timeout (10 s) and it starts in a few.
    recovery_bound = 20.0

    def inject(self, ctx: Context) -> None:
        victim = ctx.victim()
        ctx.notes["replica"], ctx.notes["restartsBefore"] = victim.name, victim.attrs["RestartCount"]
        pid = int(victim.attrs["State"]["Pid"])
        ctx.stack.docker.containers.run(
            victim.image,
            entrypoint=["python", "-c", f"import os, signal; os.kill({pid}, signal.SIGKILL)"],
            pid_mode="host",
            user="0",
            network_mode="none",
            remove=True,
        )
        victim.reload()
        ctx.fault_at = ctx.at(victim.attrs["State"]["FinishedAt"])

    def hold(self, ctx: Context) -> None:
        """Until Docker has restarted it (or the recovery limit)."""

        def running() -> bool:
            victim = ctx.victim()
            return bool(
                victim.status == "running" and victim.attrs["RestartCount"] > ctx.notes["restartsBefore"]
            )

        if wait_until(running, ctx.options.recovery_limit):
            ctx.notes["restartedAfterS"] = round(
                ctx.at(ctx.victim().attrs["State"]["StartedAt"]) - ctx.fault_at, 2
            )

    def restore(self, ctx: Context) -> None:
        ctx.restored_at = ctx.fault_at  # nothing to undo: recovery counts from the kill
        victim = ctx.victim()
        ctx.notes["restartsAfter"] = victim.attrs["RestartCount"]
        if victim.status in ("exited", "created"):
            ctx.notes["startedByDrill"] = True
            victim.start()

    def recovered(self, ctx: Context, samples: list[Sample]) -> float | None:
        end = first_after(samples, ctx.fault_at + SLACK, lambda s: s.replica == ctx.notes["replica"])
        return None if end is None else end - ctx.fault_at

    def checks(self, ctx: Context, result: DrillResult) -> list[Check]:
        samples, kill = result.samples, ctx.fault_at
        writes = [s for s in samples if s.op == "order" and not s.ok]
        late = [s for s in writes if s.started > kill + SLACK]
        flying = in_flight(samples, kill - SLACK, kill + SLACK, "order")
        ctx.notes["writesInFlightAtKill"] = flying
        restarted = ctx.notes.get("restartsAfter", 0) > ctx.notes["restartsBefore"]
        return [
            _gets_served(samples),
            Check(
                "failed writes ≤ writes in flight at the kill",
                len(writes) <= flying and not late,
                f"{len(writes)} failed, {flying} in flight, {len(late)} started after the kill",
            ),
            Check(
                "the restart policy restarted it",
                restarted and not ctx.notes.get("startedByDrill"),
                f"restarts {ctx.notes['restartsBefore']} → {ctx.notes.get('restartsAfter')}",
            ),
        ]


class PauseReplica(Drill):
    """`docker pause`: a hung process. Its TCP connections still open, nothing answers."""

    name, title, alert = "pause-replica", "pause one API replica (hung)", "ApiReplicaDown"
    recovery = "unpause → the replica answers through nginx again"
    recovery_bound = 15.0  # at most nginx's fail_timeout (10 s) after it was last given up on

    def inject(self, ctx: Context) -> None:
        victim = ctx.victim()
        ctx.notes["replica"] = victim.name
        ctx.notes["proxyTimeoutS"] = ctx.stack.lb_proxy_timeout()
        victim.pause()

    def restore(self, ctx: Context) -> None:
        victim = ctx.victim()
        victim.reload()
        if victim.status == "paused":
            victim.unpause()

    def recovered(self, ctx: Context, samples: list[Sample]) -> float | None:
        end = first_after(samples, ctx.restored_at, lambda s: s.replica == ctx.notes["replica"])
        return None if end is None else end - ctx.restored_at

    def checks(self, ctx: Context, result: DrillResult) -> list[Check]:
        during = window(result.samples, ctx.fault_at, ctx.restored_at)
        timeout = float(ctx.notes["proxyTimeoutS"])
        slow = [s for s in during if s.latency >= 0.9 * timeout]
        writes = [s for s in result.samples if s.op == "order" and not s.ok]
        ctx.notes["slowRequests"], ctx.notes["writesTimedOut"] = len(slow), len(writes)
        p99 = p99_ms(during) or 0.0
        return [
            _gets_served(result.samples),
            Check(
                "failed writes are only 504s: sent to the hung replica, timed out, not retried",
                all(s.outcome == "504" for s in writes),
                f"{len(writes)} failed: {sorted({s.outcome for s in writes})}",
            ),
            Check(
                "requests stop going to it: ≤ 3% wait for the proxy timeout",
                len(slow) <= 0.03 * max(1, len(during)),
                f"{len(slow)} of {len(during)} took ≥ {0.9 * timeout:.1f} s",
            ),
            Check(
                "p99 during ≤ proxy timeout + 1 s",
                p99 <= (timeout + 1) * 1000,
                f"p99 {p99:.0f} ms, proxy timeout {timeout:.0f} s",
            ),
        ]


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
        _ensure_running(ctx, "redis")

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
        _ensure_running(ctx, "postgres")
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


class ReloadLb(Drill):
    name, title = "reload-lb", "nginx -s reload (config unchanged), three times"
    recovery = "-"
    RELOADS: ClassVar[int] = 3

    def inject(self, ctx: Context) -> None:
        for number in range(self.RELOADS):
            code, output = ctx.stack.container("lb").exec_run(["nginx", "-s", "reload"])
            if code != 0:
                raise RuntimeError(f"nginx -s reload failed: {output.decode(errors='replace')}")
            if number < self.RELOADS - 1:
                time.sleep(2)

    def hold(self, ctx: Context) -> None:
        time.sleep(1)

    def restore(self, ctx: Context) -> None:
        return  # nothing was broken

    def recovered(self, ctx: Context, samples: list[Sample]) -> float | None:
        return 0.0

    def checks(self, ctx: Context, result: DrillResult) -> list[Check]:
        failed = [s for s in result.samples if not s.ok]
        return [Check("no request failed", not failed, f"{len(failed)} failed")]


DRILLS: dict[str, type[Drill]] = {
    d.name: d for d in (KillReplica, PauseReplica, StopRedis, RestartPostgres, ReloadLb)
}
