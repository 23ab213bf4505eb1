"""Running one drill: steady load, the fault, the restore (always), recovery, the ledger, alerts.

Whatever happens — a failed step, Ctrl-C, SIGTERM — the fault is undone in `finally` before the
traffic stops. `interrupts_deferred()` holds SIGINT/SIGTERM off while a restore runs, so a second
Ctrl-C cannot leave a replica paused or Postgres stopped (cli.py installs the handlers).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import httpx

from kit.drill import alertcheck
from kit.drill.alerts import AlertWatch, Receiver, Rules
from kit.drill.base import Context, Drill, Options, wait_until
from kit.drill.ledger import prepare, reconcile, rows_sql
from kit.drill.result import Check, DrillResult
from kit.drill.stack import DrillStack
from kit.drill.traffic import Plan, Traffic

_deferred = {"active": False, "pending": False}


class Interrupted(Exception):
    """SIGINT or SIGTERM: stop after restoring what the drill broke."""


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    _deferred["active"] = True
    try:
        yield
    finally:
        _deferred["active"] = False
    if _deferred["pending"]:
        _deferred["pending"] = False
        raise Interrupted("signal during a restore")


def on_signal(signum: int, _frame: object) -> None:
    """The CLI's SIGINT/SIGTERM handler: raise, unless a restore is running (then: right after)."""
    if _deferred["active"]:
        _deferred["pending"] = True
        return
    raise Interrupted(f"signal {signum}")


def run_drill(
    stack: DrillStack, drill: Drill, options: Options, receiver: Receiver | None = None
) -> DrillResult:
    longest = options.before + options.hold + options.recovery_limit + options.after + 30
    plan = Plan(rate=options.rate, seconds=longest)
    catalogue = prepare(stack.lb_url, stack.api_key, plan.writes)
    traffic = Traffic(stack.lb_url, stack.api_key, plan, catalogue.read_ids, catalogue.line)
    ctx = Context(stack, traffic, options)
    rules = Rules.load(stack.prometheus_url)
    if drill.alert:  # the previous drill's alert must be over, or its firing time would be stale
        wait_until(lambda: not _firing(stack, drill.alert or ""), 60, every=1)
    watch = AlertWatch(stack.prometheus_url).start()
    recovery = None
    traffic.start()
    try:
        time.sleep(options.before)
        ctx.fault_at = traffic.now()
        drill.inject(ctx)
        drill.hold(ctx)
        ctx.restored_at = traffic.now()
        with interrupts_deferred():
            drill.restore(ctx)
        wait_until(lambda: drill.recovered(ctx, traffic.samples()) is not None, options.recovery_limit)
        recovery = drill.recovered(ctx, traffic.samples())
        settle = time.monotonic() + options.after
        if drill.alert and receiver is not None:
            since = traffic.epoch + ctx.restored_at
            wait_until(
                lambda: alertcheck.resolved(receiver.deliveries(), drill.alert or "", since),
                options.recovery_limit,
            )
        time.sleep(max(0.0, settle - time.monotonic()))
    finally:
        with interrupts_deferred():
            drill.restore(ctx)
            samples = traffic.stop()
            watch.stop()
    time.sleep(1)  # a write a resumed replica was still finishing is committed by now
    ledger = reconcile(samples, stack.psql(rows_sql(catalogue)))
    result = DrillResult(drill.name, samples, ctx.fault_at, ctx.restored_at, recovery, drill.recovery, ledger)
    result.notes = ctx.notes
    ctx.notes["lbErrors"] = stack.lb_errors(traffic.epoch)
    deliveries = receiver.deliveries() if receiver else None
    epoch = traffic.epoch
    result.alerts = alertcheck.figures(
        watch, deliveries or [], rules, epoch + ctx.fault_at, epoch + ctx.restored_at, drill.alert
    )
    ctx.notes["alertForS"], ctx.notes["scrapeIntervalS"] = (
        rules.for_seconds.get(drill.alert or ""),
        rules.scrape_interval,
    )
    result.checks = _common_checks(result, options, drill) + drill.checks(ctx, result)
    if drill.alert:
        result.checks += alertcheck.checks(result.alerts, deliveries, drill.alert)
    return result


def _firing(stack: DrillStack, name: str) -> bool:
    alerts = httpx.get(f"{stack.prometheus_url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return any(a["labels"]["alertname"] == name for a in alerts)


def _common_checks(result: DrillResult, options: Options, drill: Drill) -> list[Check]:
    ledger = result.reconciliation
    bound = drill.recovery_bound if drill.recovery_bound is not None else options.recovery_limit
    errors = [s for s in result.samples if s.outcome == "500"]
    return [
        Check("no acknowledged order lost", not ledger.lost, f"{len(ledger.lost)} of {ledger.acknowledged}"),
        Check(
            "no unacknowledged order present, unless its client was told the outcome is unknown (5xx/error)",
            ledger.ok or bool(ledger.lost),
            f"{len(ledger.present_unacknowledged)} present, {ledger.ambiguous_committed} of them unknown; "
            f"stock mismatches {list(ledger.stock_mismatch)}",
        ),
        Check("no 500", not errors, f"{len(errors)}"),
        Check(
            f"recovered within {bound:.0f} s",
            result.recovery_s is not None and result.recovery_s <= bound,
            f"{result.recovery_s} s: {result.recovery}",
        ),
    ]
