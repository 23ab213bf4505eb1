"""Pausing a container between its healthcheck probes, never while Docker may be starting one.

Docker 20.10 (Debian's docker.io, what this machine and CI run) deadlocks a probe whose exec it
starts just as the container is paused: ContainerExecStart fails on the paused container, then
waits forever for the exec's output streams while it holds the container's exec store, and every
inspect of that container hangs from then on, until dockerd restarts. Seen in CI: a goroutine dump
(SIGUSR1) showed `daemon.(*cmdProbe).run` → `ContainerExecStart` → `rio.Wait` stuck for 29 minutes
and every `ContainerInspect` of the paused replica waiting on `exec.(*Store).List`.

Docker starts the next probe `interval` after the last one ended, so right after a probe ended
there is a window with none starting; the pause goes in there.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from docker.models.containers import Container

from kit.drill.stack import DrillError

# The pause request must reach the daemon well before the next probe may start.
MARGIN_S = 1.5
# Beyond two probe cycles, how long the wait may take (inspects on a busy daemon).
SLACK_S = 4.0


class ProbeWindowError(DrillError):
    """No moment between two healthcheck probes was found in time."""


def docker_epoch(stamp: str) -> float:
    """A Docker timestamp (RFC 3339, nanoseconds, UTC) in seconds since the epoch."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{whole}.{fraction[:6]:0<6}+00:00").timestamp()


def _timing(attrs: dict[str, Any]) -> tuple[float, float] | None:
    """The container's probe interval and timeout (seconds); None without a healthcheck."""
    check = attrs["Config"].get("Healthcheck") or {}
    if not check.get("Test") or check["Test"] == ["NONE"]:
        return None
    default = 30_000_000_000  # Docker's default for both: 30 s
    return (check.get("Interval") or default) / 1e9, (check.get("Timeout") or default) / 1e9


def clear_for(attrs: dict[str, Any], now: float) -> float | None:
    """How long no probe can start, from `now` (seconds; None: one may be starting any moment).
    A container without a healthcheck has no probes: infinitely clear."""
    timing = _timing(attrs)
    if timing is None:
        return float("inf")
    interval = timing[0]
    log = (attrs["State"].get("Health") or {}).get("Log") or []
    if not log:
        return None  # before the first probe, its start time is not known
    ended = docker_epoch(log[-1]["End"])
    left = ended + interval - now - MARGIN_S
    return left if 0 < left <= interval else None


def wait_between_probes(container: Container) -> float:
    """Returns (the seconds it waited) once no probe of `container` can start for MARGIN_S at
    least; ProbeWindowError if that moment does not come within two whole probe cycles."""
    interval, timeout = _timing(container.attrs) or (0.0, 0.0)
    limit = 2 * (interval + timeout) + SLACK_S
    started = time.monotonic()
    while clear_for(container.attrs, time.time()) is None:
        if time.monotonic() - started > limit:
            raise ProbeWindowError(
                f"{container.name}: no moment between two healthcheck probes within {limit:g} s "
                "(pausing while Docker starts one would deadlock the daemon; see kit/drill/probes.py)"
            )
        time.sleep(0.1)
        container.reload()
    return time.monotonic() - started
