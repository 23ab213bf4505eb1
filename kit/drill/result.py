"""What one drill found: its samples, the fault's times, checks passed or failed, and its figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kit.drill.ledger import Reconciliation
from kit.drill.stats import failures, p99_ms, window
from kit.drill.traffic import Sample

FAILURES_LISTED = 20


@dataclass(frozen=True)
class Check:
    claim: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class AlertFigure:
    """One alert seen during a drill; times in seconds from the fault (resolved: from the restore)."""

    name: str
    firing_s: float | None  # Prometheus reported it firing
    delivered_s: float | None  # the webhook receiver got the firing notification
    resolved_s: float | None  # the webhook receiver got the resolved notification
    bound_s: float | None = None  # the rule's `for` plus two scrape intervals, for the drill's own alert

    def text(self) -> str:
        def seconds(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}"

        return (
            f"{self.name}: fired {seconds(self.firing_s)}, delivered {seconds(self.delivered_s)}, "
            f"resolved +{seconds(self.resolved_s)}"
        )


@dataclass
class DrillResult:
    drill: str
    samples: list[Sample]
    fault_at: float  # seconds since the traffic started
    restored_at: float  # the fault was undone (unpaused, started …); for a kill, its restart
    recovery_s: float | None  # what `recovery` says, measured
    recovery: str
    reconciliation: Reconciliation
    checks: list[Check] = field(default_factory=list)
    alerts: list[AlertFigure] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)  # the drill's own figures

    @property
    def during_end(self) -> float:
        return self.restored_at + (self.recovery_s or 0.0)

    @property
    def passed(self) -> bool:
        return all(check.ok for check in self.checks)

    def failed_checks(self) -> list[str]:
        return [f"{c.claim}: {c.detail}" for c in self.checks if not c.ok]

    def figures(self) -> dict[str, Any]:
        before = window(self.samples, self.fault_at / 2, self.fault_at)  # the first seconds warm up
        during = window(self.samples, self.fault_at, max(self.during_end, self.fault_at + 1))
        rec = self.reconciliation
        return {
            "drill": self.drill,
            "passed": self.passed,
            "requests": len(self.samples),
            "failures": failures(self.samples),
            "getsRetried": sum(s.retried for s in self.samples),
            "p99BeforeMs": p99_ms(before),
            "p99DuringMs": p99_ms(during),
            "recoveryS": None if self.recovery_s is None else round(self.recovery_s, 2),
            "recovery": self.recovery,
            "ordersAcknowledged": rec.acknowledged,
            "ordersLost": len(rec.lost),
            "unacknowledgedPresent": len(rec.present_unacknowledged),
            "ambiguousCommitted": rec.ambiguous_committed,
            "alerts": [vars(alert) for alert in self.alerts],
            "notes": self.notes,
            "failedChecks": self.failed_checks(),
            # The first failures, seconds from the fault: [started, op, outcome, latency s, replica].
            "firstFailures": [
                [round(f.started - self.fault_at, 2), f.op, f.outcome, round(f.latency, 2), f.replica]
                for f in [s for s in self.samples if not s.ok][:FAILURES_LISTED]
            ],
        }
