"""What a run leaves behind: the threshold table on the terminal, summary.json, and plot.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI machines
import matplotlib.pyplot as plt
from rich.console import Console
from rich.table import Table

from load.suite.gate import Verdict
from load.suite.metrics import time_series
from load.suite.record import RunRecord

OUTCOME_TEXT = {0: "[green]SLO met[/]", 1: "[red]SLO breached[/]", 2: "[yellow]run not valid[/]"}


def summary(record: RunRecord, verdict: Verdict, reports: dict[str, str]) -> dict[str, Any]:
    totals, (headline_rps, headline_p95) = verdict.totals, verdict.headline
    return {
        "profile": record.profile,
        "host": record.host,
        "exit_code": int(verdict.outcome),
        "outcome": verdict.outcome.name.lower(),
        "requests": totals.requests,
        "failures": totals.failures,
        "failure_ratio": round(totals.failure_ratio, 5),
        "duration_s": round(totals.duration_s, 1),
        "rps": round(totals.rps, 1),
        "p50_ms": totals.p50_ms,
        "p95_ms": totals.p95_ms,
        "p99_ms": totals.p99_ms,
        "headline": {"rps": round(headline_rps, 1), "p95_ms": headline_p95},
        "knee": None
        if verdict.knee is None
        else {
            "step": verdict.knee.step,
            "users": verdict.knee.users,
            "rps": round(verdict.knee.rps, 1),
            "p95_ms": verdict.knee.p95_ms,
            "bound": verdict.knee.bound,
            "generator_cpu_us_per_request": round(verdict.knee.generator_cpu_us, 1),
        },
        "steps": [
            {
                "step": index,
                "users": step.stats.max_users,
                "offered_rps": round(step.offered_rps, 1),
                "rps": round(step.stats.rps, 1),
                "p95_ms": step.stats.p95_ms,
                "failure_ratio": round(step.stats.failure_ratio, 5),
                "generator_cpu_us_per_request": round(step.generator_cpu_us, 1),
            }
            for index, step in enumerate(verdict.steps)
            if step.stats.requests
        ],
        "generator_cpu": {
            use.process: {"mean": round(use.mean, 1), "p90": round(use.p90, 1), "max": round(use.max, 1)}
            for use in verdict.cpu
        },
        "workers": {"expected": record.expected_workers, "seen": record.workers_seen},
        "checks": [
            {"name": c.name, "threshold": c.threshold, "measured": round(c.measured, 4), "ok": c.ok}
            for c in verdict.checks
        ],
        "invalid_reasons": verdict.invalid_reasons,
        "reports": reports,
    }


def print_verdict(console: Console, record: RunRecord, verdict: Verdict) -> None:
    routes = Table(title=f"{record.profile} against {record.host}: requests by route")
    for column in ("route", "requests", "failures", "p50 ms", "p95 ms", "p99 ms"):
        routes.add_column(column, justify="left" if column == "route" else "right")
    for route in record.routes:
        routes.add_row(
            f"{route.method} {route.name}",
            str(route.requests),
            str(route.failures),
            f"{route.p50_ms:.0f}",
            f"{route.p95_ms:.0f}",
            f"{route.p99_ms:.0f}",
        )
    console.print(routes)
    if verdict.steps:
        steps = Table(title="stress steps (the knee is the highest-rps step within the SLO)")
        columns = ("step", "users", "offered rps", "rps", "p95 ms", "p99 ms", "failure ratio", "gen µs/req")
        for column in columns:
            steps.add_column(column, justify="right")
        for index, step in enumerate(verdict.steps):
            if step.stats.requests:
                marker = " <- knee" if verdict.knee and verdict.knee.step == index else ""
                steps.add_row(
                    f"{index}{marker}",
                    str(step.stats.max_users),
                    f"{step.offered_rps:.0f}",
                    f"{step.stats.rps:.0f}",
                    f"{step.stats.p95_ms:.0f}",
                    f"{step.stats.p99_ms:.0f}",
                    f"{step.stats.failure_ratio:.4f}",
                    f"{step.generator_cpu_us:.0f}",
                )
        console.print(steps)
    gate = Table(title="SLO gate")
    for column in ("check", "threshold", "measured", "result"):
        gate.add_column(column, justify="left" if column == "check" else "right")
    for check in verdict.checks:
        gate.add_row(
            check.name,
            f"{'<=' if check.at_most else '>='} {check.threshold:g}",
            f"{check.measured:.4g}",
            "[green]ok[/]" if check.ok else "[red]FAIL[/]",
        )
    for use in verdict.cpu:
        gate.add_row(
            f"generator CPU % ({use.process})",
            "",
            f"mean {use.mean:.0f} / p90 {use.p90:.0f}",
            "[yellow]saturated[/]" if use.saturated_share > 0.1 else "ok",
        )
    console.print(gate)
    if verdict.knee:
        console.print(
            f"knee: {verdict.knee.rps:.0f} rps at p95 {verdict.knee.p95_ms:.0f} ms "
            f"({verdict.knee.users} users; bound: {verdict.knee.bound}); the generator spent "
            f"{verdict.knee.generator_cpu_us:.0f} µs of CPU per request there"
        )
    for reason in verdict.invalid_reasons:
        console.print(f"[yellow]not valid:[/] {reason}")
    console.print(f"result: {OUTCOME_TEXT[int(verdict.outcome)]} (exit {int(verdict.outcome)})")


def plot(record: RunRecord, path: Path, step_s: float = 5.0) -> None:
    series = time_series(record.samples, step_s)
    times = [w.end_s for w in series]
    figure, (rate_axis, latency_axis) = plt.subplots(2, 1, sharex=True, figsize=(10, 7))
    rate_axis.plot(times, [w.rps for w in series], label="throughput (rps)")
    rate_axis.plot(times, [w.failures / w.duration_s for w in series], label="failures (rps)", color="red")
    rate_axis.set_ylabel("requests / s")
    users_axis = rate_axis.twinx()
    users_axis.plot(times, [w.max_users for w in series], color="grey", linestyle=":", label="users")
    users_axis.set_ylabel("users")
    rate_axis.legend(loc="upper left")
    for name, values in (
        ("p50", [w.p50_ms for w in series]),
        ("p95", [w.p95_ms for w in series]),
        ("p99", [w.p99_ms for w in series]),
    ):
        latency_axis.plot(times, values, label=name)
    latency_axis.set_ylabel("response time (ms)")
    latency_axis.set_xlabel(f"seconds since start ({step_s:g} s windows)")
    latency_axis.legend(loc="upper left")
    figure.suptitle(f"{record.profile} against {record.host}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
