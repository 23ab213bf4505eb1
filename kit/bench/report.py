"""What `python -m kit.bench` prints: a `Run`'s readings as figures (one flat dict, the JSON line),
the targets of docs/performance.md judged on them, and the tables."""

from __future__ import annotations

import os
from statistics import mean
from typing import Any

from rich.table import Table

from kit.bench.figures import Target, averaged, ratio, spread, weighted_mean
from kit.bench.run import ROUND_ROUTES, Run, console
from kit.bench.stack import SERVING_ROLES
from kit.bench.wrk import ROUTES
from load.suite.mix import MIX


def figures_of(measured: Run) -> dict[str, Any]:
    routes = {route: [r[route] for r in measured.rounds] for route in ROUND_ROUTES}
    figures: dict[str, Any] = {"stack": measured.stack.stack, "rounds": len(measured.rounds)}
    figures |= {"products": measured.args.products, "connections": measured.args.connections}
    cost: dict[str, float] = {}
    for route, runs in routes.items():
        per_role = averaged([run.cpu_us for run in runs])
        cost[route] = sum(per_role.values())
        figures[f"{route}_cpu_us"] = round(cost[route], 1)
        figures |= {f"{route}_{role}_cpu_us": round(us, 1) for role, us in per_role.items()}
        figures[f"{route}_rps"] = round(mean(run.result.rps for run in runs), 1)
        figures[f"{route}_cpu_spread"] = round(spread([run.server_cpu_us for run in runs]), 3)
        figures[f"{route}_failed"] = sum(run.result.failed for run in runs)
    for route in ROUTES:
        if route in cost and route != "minimal":
            figures[f"{route}_cpu_ratio"] = round(ratio(cost[route], cost["minimal"]), 3)
    mixed = weighted_mean(cost, MIX)
    ceiling = max(run.result.rps for run in measured.ceilings)
    figures |= {
        "mixed_cpu_us": round(mixed, 1),
        "mixed_cpu_ratio": round(ratio(mixed, cost["minimal"]), 3),
        "minimal_ceiling_rps": round(ceiling, 1),
        "minimal_ceiling_rps_rounds": [round(run.result.rps, 1) for run in measured.ceilings],
        "minimal_ceiling_cpu_us": round(mean(run.server_cpu_us for run in measured.ceilings), 1),
        "wrk_cpu_us": round(mean(run.wrk_cpu_us for runs in routes.values() for run in runs), 1),
        "docker_proxy_cpu_us": round(mean(run.proxy_cpu_us for runs in routes.values() for run in runs), 1),
        "docker_engine_cpu_us": round(mean(run.engine_cpu_us for runs in routes.values() for run in runs), 1),
        "minimal_ceiling_engine_cpu_us": round(mean(run.engine_cpu_us for run in measured.ceilings), 1),
        "idle_cpu_ms_per_s": {role: round(v / 1e6, 2) for role, v in averaged(measured.idle).items()},
    }
    if measured.search_pg_us:
        small, large = measured.args.products, measured.args.search_products
        figures[f"search_pg_cpu_us_{small}"] = round(mean(measured.search_pg_us[small]), 1)
        figures[f"search_pg_cpu_us_{large}"] = round(mean(measured.search_pg_us[large]), 1)
        figures["search_pg_ratio"] = round(
            ratio(mean(measured.search_pg_us[large]), mean(measured.search_pg_us[small])), 3
        )
    if measured.stress:
        summary, knee = measured.stress["summary"], measured.stress["summary"].get("knee") or {}
        figures |= {
            "knee_rps": knee.get("rps", 0.0),
            "knee_p95_ms": knee.get("p95_ms"),
            "knee_bound": knee.get("bound"),
            "knee_ratio": round(ratio(float(knee.get("rps", 0.0)), ceiling), 3),
            "generator_cpu_us_per_request": knee.get("generator_cpu_us_per_request"),
            "stress_exit_code": measured.stress["exit_code"],
            "stress_failures": summary.get("failures"),
            "stress_server_cpu_us": round(sum(measured.stress["cpu_us"].values()), 1),
            "stress_engine_cpu_us": round(measured.stress["engine_cpu_us"], 1),
            "stress_server_cpu_us_by_role": {k: round(v, 1) for k, v in measured.stress["cpu_us"].items()},
            "stress_summary": summary.get("reports", {}).get("summary"),
        }
    others = [run.other_cores for runs in routes.values() for run in runs]
    figures["machine"] = {
        "cpus": os.cpu_count(),
        "load_1m": [round(v, 2) for v in measured.load_average],
        "other_cores_mean": round(mean(others), 2) if others else None,
        "other_cores_max": round(max(others), 2) if others else None,
    }
    return figures


def targets(figures: dict[str, Any]) -> list[Target]:
    found = [Target("mixed_cpu_ratio", figures["mixed_cpu_ratio"], 1.5, at_most=True)]
    if "search_pg_ratio" in figures:
        found.append(Target("search_pg_ratio", figures["search_pg_ratio"], 1.5, at_most=True))
    if figures.get("generator_cpu_us_per_request") is not None:
        found.append(
            Target("generator_cpu_us_per_request", figures["generator_cpu_us_per_request"], 400, True)
        )
    if "knee_ratio" in figures:
        found.append(Target("knee_ratio", figures["knee_ratio"], 0.45, at_most=False))
    return found


def print_tables(figures: dict[str, Any], found: list[Target]) -> None:
    table = Table(
        title=f"server CPU per request through stack {figures['stack']} (wrk -c{figures['connections']}, "
        f"mean of {figures['rounds']} rounds, idle subtracted)"
    )
    for column in (
        "route",
        "rps",
        *(f"{role} µs" for role in SERVING_ROLES),
        "total µs",
        "vs minimal",
        "spread",
    ):
        table.add_column(column, justify="left" if column == "route" else "right")
    for route in ROUND_ROUTES:
        table.add_row(
            route,
            f"{figures[f'{route}_rps']:,.0f}",
            *(f"{figures.get(f'{route}_{role}_cpu_us', 0):,.0f}" for role in SERVING_ROLES),
            f"{figures[f'{route}_cpu_us']:,.0f}",
            f"{figures.get(f'{route}_cpu_ratio', 1.0):.2f}",
            f"{figures[f'{route}_cpu_spread']:.0%}",
        )
    table.add_row(
        "mix (weighted)",
        "",
        "",
        "",
        "",
        "",
        f"{figures['mixed_cpu_us']:,.0f}",
        f"{figures['mixed_cpu_ratio']:.2f}",
        "",
    )
    console.print(table)
    verdicts = Table(title="targets")
    for column in ("figure", "measured", "target", "result"):
        verdicts.add_column(column, justify="left" if column == "figure" else "right")
    for target in found:
        verdicts.add_row(
            target.key,
            f"{target.value:.3g}",
            target.text(),
            "[green]ok[/]" if target.ok else "[red]MISSED[/]",
        )
    console.print(verdicts)
    machine = figures["machine"]
    console.print(
        f"ceiling (minimal, wrk): {figures['minimal_ceiling_rps_rounds']} rps; "
        f"machine: {machine['cpus']} cores, "
        f"load average {machine['load_1m']}, other work {machine['other_cores_mean']} cores on average "
        f"(max {machine['other_cores_max']}) while routes were measured"
    )
    engine = f"{figures['docker_engine_cpu_us']:.0f} µs "
    engine += f"({figures['minimal_ceiling_engine_cpu_us']:.0f} in the ceiling run"
    if "stress_engine_cpu_us" in figures:
        engine += f", {figures['stress_engine_cpu_us']:.0f} under stress"
    console.print(
        f"on the host, outside the stack's containers, per request: docker-proxy "
        f"{figures['docker_proxy_cpu_us']:.0f} µs, the container engine (copying the logs) {engine})"
    )
