"""Drills on the serving path: an API replica killed or hung, the load balancer reloaded."""

from __future__ import annotations

import time
from typing import ClassVar

from kit.drill.base import Context, Drill, first_after, gets_served, wait_until
from kit.drill.probes import wait_between_probes
from kit.drill.result import Check, DrillResult
from kit.drill.stats import in_flight, p99_ms, window
from kit.drill.traffic import CLOSED_BEFORE_ANSWER, Sample

CLOSED_NAMES = {error.__name__ for error in CLOSED_BEFORE_ANSWER}
SLACK = 0.25  # s: how far Docker's exit timestamp may be from the moment requests saw the process die


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
            gets_served(samples),
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
        # (a pause as Docker starts a probe deadlocks the daemon: kit/drill/probes.py)
        ctx.notes["waitedForProbeGapS"] = round(wait_between_probes(victim), 2)
        ctx.fault_at = ctx.traffic.now()  # the fault starts with the pause, not with that wait
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
            gets_served(result.samples),
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
        """nginx 1.22 (and the pinned 1.27.3) closes idle keep-alive connections when a reload
        retires its old workers; a request sent on one just then is reset before nginx reads it
        (`keepalive_min_timeout`, nginx ≥ 1.27.4, would answer it). GETs are retried as a client
        may; a POST cannot be, and fails: it must then not have been placed."""
        failed = [s for s in result.samples if not s.ok]
        unread = [s for s in failed if s.op == "order" and s.outcome in CLOSED_NAMES]
        placed = {line for line, _ in result.reconciliation.present_unacknowledged}
        return [
            Check("nothing failed but POSTs reset unread", failed == unread, f"{len(failed)} failed"),
            Check("no reset POST was placed", not placed & {s.line for s in unread}, f"{len(unread)} reset"),
        ]
