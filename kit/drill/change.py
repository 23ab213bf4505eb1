"""A change to a running stack (a rollout, scaling, a config change) under steady load, counted.

The same traffic as the drills (kit/drill/traffic.py): a fixed rate of cached reads, listings and
order writes through the load balancer, every response and connection error kept. The load runs
`before` seconds alone (the baseline), then during `change()` (e.g. `scripts/up`), then `after`
seconds; afterwards every order the API acknowledged is looked up in PostgreSQL (ledger.py).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kit.drill.ledger import Catalogue, Reconciliation, prepare, reconcile, rows_sql
from kit.drill.stack import DrillStack
from kit.drill.stats import failures, latency_ms, window
from kit.drill.traffic import Plan, Sample, Traffic


@dataclass(frozen=True)
class ChangeUnderLoad:
    name: str
    change: subprocess.CompletedProcess[str]
    samples: list[Sample]
    changed_from: float  # seconds since the traffic started
    changed_until: float
    ledger: Reconciliation

    @property
    def during(self) -> list[Sample]:
        return window(self.samples, self.changed_from, self.changed_until)

    @property
    def before(self) -> list[Sample]:
        return window(self.samples, 0.0, self.changed_from)

    @property
    def failed(self) -> dict[str, int]:
        return failures(self.samples)

    @property
    def connection_errors(self) -> int:
        return sum(1 for s in self.samples if not s.outcome.isdigit())

    def refused_gap_ms(self) -> float:
        """From the first failed request to the last one's end: how long the stack did not serve."""
        bad = [s for s in self.samples if not s.ok]
        return round((max(s.ended for s in bad) - min(s.started for s in bad)) * 1000, 1) if bad else 0.0

    def figures(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "requests": len(self.samples),
            "failed": sum(self.failed.values()),
            "failures": self.failed,
            "connectionErrors": self.connection_errors,
            "ordersAcknowledged": self.ledger.acknowledged,
            "ordersLost": len(self.ledger.lost),
            "p50msBefore": latency_ms(self.before, 50),
            "p99msBefore": latency_ms(self.before, 99),
            "p50msDuring": latency_ms(self.during, 50),
            "p99msDuring": latency_ms(self.during, 99),
            "changeSeconds": round(self.changed_until - self.changed_from, 1),
            "changeExit": self.change.returncode,
        }


def change_under_load(
    stack: DrillStack,
    name: str,
    change: Callable[[], subprocess.CompletedProcess[str]],
    *,
    rate: float = 40.0,
    before: float = 8.0,
    after: float = 3.0,
    longest: float = 300.0,
) -> ChangeUnderLoad:
    """Runs `change` while `rate` requests/s go through the load balancer (at most `longest` s)."""
    plan = Plan(rate=rate, seconds=before + longest + after)
    catalogue: Catalogue = prepare(stack.lb_url, stack.api_key, plan.writes)
    traffic = Traffic(stack.lb_url, stack.api_key, plan, catalogue.read_ids, catalogue.line)
    traffic.start()
    try:
        time.sleep(before)
        started = traffic.now()
        result = change()
        ended = traffic.now()
        time.sleep(after)
    finally:
        samples = traffic.stop()
    ledger = reconcile(samples, stack.psql(rows_sql(catalogue)))
    return ChangeUnderLoad(name, result, samples, started, ended, ledger)
