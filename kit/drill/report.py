"""The drills' report: a table on the terminal, a PNG timeline per drill, and the figures as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from rich.console import Console
from rich.table import Table

from kit.drill.result import DrillResult
from kit.drill.stats import per_second


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def table(results: list[DrillResult]) -> Table:
    grid = Table(title="Drills: steady load through the load balancer while one thing breaks")
    for column in ("drill", "requests", "failures by kind", "p99 before / during ms", "recovery s",
                   "alerts (s from fault; resolved s from restore)", "result"):  # fmt: skip
        grid.add_column(column, overflow="fold")
    for result in results:
        figures = result.figures()
        failures = ", ".join(f"{kind}: {count}" for kind, count in figures["failures"].items()) or "none"
        if figures["getsRetried"]:
            failures += f" ({figures['getsRetried']} GETs retried: connection closed before an answer)"
        alerts = "\n".join(alert.text() for alert in result.alerts) or "none"
        grid.add_row(
            result.drill,
            str(figures["requests"]),
            failures,
            f"{_ms(figures['p99BeforeMs'])} / {_ms(figures['p99DuringMs'])}",
            "-" if figures["recoveryS"] is None else f"{figures['recoveryS']:.1f}",
            alerts,
            "[green]PASS[/]" if result.passed else "[red]FAIL[/]",
        )
    return grid


def print_report(console: Console, results: list[DrillResult]) -> None:
    console.print(table(results))
    for result in results:
        for claim in result.failed_checks():
            console.print(f"[red]{result.drill}[/]: {claim}")


def timeline(result: DrillResult, title: str, path: Path) -> Path:
    """Requests served and failed per second, p99 per second, the fault window shaded."""
    series = per_second(result.samples)
    middles = [second + 0.5 for second in series.seconds]  # each figure is for [s, s + 1)
    figure = Figure(figsize=(10, 5.5))  # no pyplot: no GUI backend, no global figure state
    load, latency = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    load.plot(middles, series.ok, color="tab:green", label="served /s")
    load.bar(middles, series.failed, color="tab:red", width=1.0, label="failed /s")
    latency.plot(middles, series.p99_ms, color="tab:blue", label="p99 ms")
    latency.set_yscale("symlog", linthresh=100)
    for axes in (load, latency):
        axes.axvspan(result.fault_at, result.restored_at, color="tab:orange", alpha=0.25, label="fault")
        if result.recovery_s:
            axes.axvspan(
                result.restored_at, result.during_end, color="tab:orange", alpha=0.1, label="recovering"
            )
        axes.legend(loc="upper right", fontsize="small")
    load.set_ylabel("requests / s")
    latency.set_ylabel("p99 ms")
    latency.set_xlabel("seconds since the load started")
    load.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return path


def summary(stack: str, directory: Path, results: list[DrillResult], extra: dict[str, Any]) -> str:
    """The one JSON line with every figure."""
    document = {
        "stack": stack,
        "reportDir": str(directory),
        "passed": all(r.passed for r in results) and not extra.get("dashboardsWithoutData"),
        "drills": [r.figures() for r in results],
        **extra,
    }
    return json.dumps(document, separators=(",", ":"))
