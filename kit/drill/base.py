"""What every drill is: break one thing under load, undo it, say when service was whole again.

A drill's `restore` must be safe to call at any moment and more than once (before its fault took,
twice in a row, from the interrupt path): the runner calls it in `finally` whatever happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from docker.models.containers import Container

from kit.drill.probes import docker_epoch
from kit.drill.result import Check, DrillResult
from kit.drill.stack import DrillStack
from kit.drill.traffic import Sample, Traffic


@dataclass(frozen=True)
class Options:
    rate: float = 50.0  # requests per second through the load balancer
    before: float = 8.0  # steady load before the fault (the "before" p99)
    hold: float = 20.0  # how long a lasting fault (pause, stopped Redis or Postgres) is held
    after: float = 6.0  # steady load after recovery
    recovery_limit: float = 45.0  # longest wait for recovery before the drill counts it as failed
    replica: int = -1  # which API replica the replica drills take (index; -1: the last)


@dataclass
class Context:
    stack: DrillStack
    traffic: Traffic
    options: Options
    fault_at: float = 0.0
    restored_at: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    def victim(self) -> Container:
        replicas = self.stack.containers("api")
        return replicas[self.options.replica]

    def at(self, docker_time: str) -> float:
        """A Docker timestamp (RFC 3339, nanoseconds) in seconds since the traffic started."""
        return docker_epoch(docker_time) - self.traffic.epoch


class Drill:
    name: ClassVar[str]
    title: ClassVar[str]
    alert: ClassVar[str | None] = None  # the alert this fault must raise (and resolve)
    recovery: ClassVar[str] = ""  # what its recovery time measures
    recovery_bound: ClassVar[float | None] = None  # seconds it must take at most (None: Options' limit)

    def inject(self, ctx: Context) -> None:
        raise NotImplementedError

    def hold(self, ctx: Context) -> None:
        """While the fault lasts (default: `options.hold` seconds, then `restore`)."""
        time.sleep(ctx.options.hold)

    def restore(self, ctx: Context) -> None:
        raise NotImplementedError

    def recovered(self, ctx: Context, samples: list[Sample]) -> float | None:
        """Seconds from the restore to full service, once the samples show it; else None."""
        raise NotImplementedError

    def checks(self, ctx: Context, result: DrillResult) -> list[Check]:
        raise NotImplementedError


def first_after(samples: list[Sample], since: float, test: Callable[[Sample], bool]) -> float | None:
    """When the first sample that started after `since` and passes `test` ended."""
    ends = [s.ended for s in samples if s.started >= since and test(s)]
    return min(ends) if ends else None


def wait_until(condition: Callable[[], bool], seconds: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def gets_served(samples: list[Sample]) -> Check:
    failed = [s for s in samples if s.op != "order" and not s.ok]
    return Check("every GET served", not failed, f"{len(failed)} failed")


def ensure_running(ctx: Context, role: str) -> None:
    container = ctx.stack.container(role)
    container.reload()
    if container.status in ("exited", "created"):
        container.start()
