"""`python -m kit.bench --stack NAME`: the service's cost through a provisioned stack, measured
side by side in one run (scripts/bench-stack brings a throw-away stack up first and always down).

1. The catalogue is reset to a fixed size (load/dataset.py), the caches warmed.
2. Rounds, interleaved with the Locust run: the idle CPU of every serving container (probes,
   scrapes), the wrk ceiling of the minimal endpoint through nginx, then every route at low
   concurrency with each container's CPU counter read before and after (CPU µs per request).
3. After the first round, the load suite's `stress` profile (the mix, data reset first): its knee,
   the generator's CPU per request there, and the server's CPU per mixed request under it.
4. PostgreSQL's CPU per search at two catalogue sizes (each search a query: no result cache).

Prints tables, writes knee.png and figures.json beside the load reports, and ends with one JSON
line of every figure and the ratios the targets are stated in.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from statistics import mean
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from kit.bench.figures import Target, averaged, cpu_per_request_us, idle_rates, ratio, spread, weighted_mean
from kit.bench.plot import plot_knee
from kit.bench.stack import SERVING_ROLES, BenchedStack, MachineSample, busy_cores
from kit.bench.wrk import ROUTES, LoadResult, run_wrk
from kit.outputs import ROOT
from load.dataset import Dataset, stack_dataset
from load.suite.mix import MIX

REPORTS = ROOT / "reports" / "bench-stack"
# Each round measures these, in this order (delete last: it needs products made for it).
ROUND_ROUTES = (
    "minimal",
    "list",
    "get",
    "filter",
    "search",
    "db_read",
    "create",
    "update",
    "order",
    "delete",
)
DELETABLE_FIRST_ID = 10_000_000  # far above anything the catalogue and the creates reach
STRESS_TIMEOUT_S = 600
console = Console(stderr=True, width=150)


@dataclass(frozen=True)
class RouteRun:
    route: str
    result: LoadResult
    cpu_us: dict[str, float]  # role -> CPU µs per request (idle subtracted)
    wrk_cpu_us: float
    proxy_cpu_us: float  # docker's userland proxy on the host, in front of nginx (not server side)
    engine_cpu_us: float  # dockerd, containerd, the shims: the containers' logs, on the host
    other_cores: float  # cores busy with anything else on the machine meanwhile

    @property
    def server_cpu_us(self) -> float:
        return sum(self.cpu_us.values())


@dataclass
class Run:
    args: argparse.Namespace
    stack: BenchedStack
    dataset: Dataset
    out: Path
    rounds: list[dict[str, RouteRun]] = field(default_factory=list)
    ceilings: list[RouteRun] = field(default_factory=list)
    idle: list[dict[str, float]] = field(default_factory=list)
    load_average: list[float] = field(default_factory=list)
    stress: dict[str, Any] = field(default_factory=dict)
    search_pg_us: dict[int, list[float]] = field(default_factory=dict)

    # -- measuring ---------------------------------------------------------------------------
    def measure(
        self, route: str, *, connections: int, seconds: float, idle: dict[str, float], **wrk: Any
    ) -> RouteRun:
        wrk.setdefault("max_product_id", self.args.products)
        machine, children, counters = MachineSample.now(), _children_cpu_s(), self.stack.read()
        proxy, engine = self.stack.proxy_seconds(), self.stack.engine_seconds()
        result = run_wrk(
            self.stack.lb_url,
            route,
            seconds=seconds,
            connections=connections,
            api_key=self.stack.api_key,
            run_id=f"{os.getpid()}-{time.monotonic_ns()}",
            **wrk,
        )
        after, machine_after = self.stack.read(), MachineSample.now()
        wall = machine_after.at - machine.at
        cpu = cpu_per_request_us(counters, after, result.requests, idle_ns_per_s=idle, seconds=wall)
        wrk_s, proxy_s = _children_cpu_s() - children, self.stack.proxy_seconds() - proxy
        engine_s = self.stack.engine_seconds() - engine
        ours = (sum(after.values()) - sum(counters.values())) / 1e9 + wrk_s + proxy_s + engine_s
        others = max(0.0, busy_cores(machine, machine_after, os.cpu_count() or 1) - ours / wall)
        per = 1e6 / max(1, result.requests)
        run = RouteRun(route, result, cpu, wrk_s * per, proxy_s * per, engine_s * per, others)
        if result.failed:
            console.log(f"[red]{route}: {result.failed} of {result.requests} requests failed[/]")
        return run

    def idle_rates(self, seconds: float) -> dict[str, float]:
        before, started = self.stack.read(), time.monotonic()
        time.sleep(seconds)
        return idle_rates(before, self.stack.read(), time.monotonic() - started)

    def warm_routes(self) -> None:
        """Each route briefly, once: pools, prepared statements, nginx's upstream connections."""
        self.reset(self.args.products)
        for route in ROUND_ROUTES:
            if route != "delete":
                self.measure(route, connections=self.args.connections, seconds=1, idle={})

    def warm_cache(self) -> None:
        """Every product once through the load balancer: a `get` is a cache hit from the start."""
        with httpx.Client(base_url=self.stack.lb_url, timeout=10) as client:
            for product_id in range(1, self.args.products + 1):
                client.get(f"/api/v1/products/{product_id}").raise_for_status()

    def reset(self, products: int) -> None:
        started = time.monotonic()
        self.dataset.reset(products)
        console.log(f"catalogue reset to {products:,} products ({time.monotonic() - started:.1f} s)")

    def one_round(self, number: int) -> None:
        self.reset(self.args.products)
        self.warm_cache()
        self.load_average.append(os.getloadavg()[0])
        idle = self.idle_rates(self.args.idle_seconds)
        self.idle.append(idle)
        ceiling = self.measure(
            "minimal", connections=self.args.ceiling_connections, seconds=self.args.ceiling_seconds, idle=idle
        )
        self.ceilings.append(ceiling)
        console.log(
            f"round {number}: ceiling {ceiling.result.rps:,.0f} rps "
            f"(minimal, -c{self.args.ceiling_connections})"
        )
        runs: dict[str, RouteRun] = {}
        for route in ROUND_ROUTES:
            extra: dict[str, Any] = {}
            if route == "delete":
                pool = max(2_000, int(2 * runs["create"].result.rps * self.args.seconds))
                self.dataset.add_products(pool, DELETABLE_FIRST_ID, "deletable")
                extra["first_id"] = DELETABLE_FIRST_ID
            runs[route] = run = self.measure(
                route, connections=self.args.connections, seconds=self.args.seconds, idle=idle, **extra
            )
            console.log(
                f"round {number} {route}: {run.result.rps:,.0f} rps, "
                f"server {run.server_cpu_us:,.0f} µs/req "
                f"({', '.join(f'{k} {v:.0f}' for k, v in run.cpu_us.items())}); "
                f"others {run.other_cores:.2f} cores"
            )
        self.rounds.append(runs)

    def stress_run(self) -> None:
        """The load suite's stress profile against the stack, with the serving containers' CPU
        read around it (server CPU per mixed request under load)."""
        out = self.out / "load"
        command = [sys.executable, "-m", "load", "--profile", "stress", "--stack", self.stack.stack]
        command += ["--out", str(out), "--products", str(self.args.products)]
        before, started, engine = self.stack.read(), time.monotonic(), self.stack.engine_seconds()
        result = subprocess.run(
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=STRESS_TIMEOUT_S, check=False
        )
        after, seconds = self.stack.read(), time.monotonic() - started
        engine = self.stack.engine_seconds() - engine
        lines = result.stdout.strip().splitlines()
        summary: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        requests = int(summary.get("requests") or 0)
        idle = averaged(self.idle)
        # The reset and seeding before the ramp count too: a small share of a run of minutes.
        cpu = cpu_per_request_us(before, after, requests, idle_ns_per_s=idle, seconds=seconds)
        self.stress = {"summary": summary, "exit_code": result.returncode, "cpu_us": cpu}
        self.stress["engine_cpu_us"] = engine * 1e6 / requests if requests else 0.0
        knee = summary.get("knee") or {}
        console.log(
            f"stress: exit {result.returncode}, knee {knee.get('rps', 0):,.0f} rps "
            f"(p95 {knee.get('p95_ms', 0):.0f} ms, bound {knee.get('bound')}), generator "
            f"{knee.get('generator_cpu_us_per_request', 0):.0f} µs/req; "
            f"server {sum(cpu.values()):,.0f} µs/req"
        )

    def search_scaling(self) -> None:
        """PostgreSQL's CPU per search query at the catalogue's size and at the large one."""
        sizes = [self.args.products, self.args.search_products, self.args.products]
        for size in sizes:
            self.reset(size)
            idle = self.idle_rates(self.args.idle_seconds / 2)
            self.measure("search_uncached", connections=self.args.connections, seconds=1, idle=idle)  # warm
            run = self.measure(
                "search_uncached",
                connections=self.args.connections,
                seconds=self.args.seconds,
                idle=idle,
                max_product_id=size,
            )
            self.search_pg_us.setdefault(size, []).append(run.cpu_us["postgres"])
            console.log(
                f"search at {size:,} products: PostgreSQL {run.cpu_us['postgres']:.0f} µs, "
                f"API {run.cpu_us['api']:.0f} µs per search ({run.result.rps:,.0f} rps)"
            )

    # -- figures -----------------------------------------------------------------------------
    def figures(self) -> dict[str, Any]:
        routes = {route: [r[route] for r in self.rounds] for route in ROUND_ROUTES}
        figures: dict[str, Any] = {"stack": self.stack.stack, "rounds": len(self.rounds)}
        figures |= {"products": self.args.products, "connections": self.args.connections}
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
        ceiling = max(run.result.rps for run in self.ceilings)
        figures |= {
            "mixed_cpu_us": round(mixed, 1),
            "mixed_cpu_ratio": round(ratio(mixed, cost["minimal"]), 3),
            "minimal_ceiling_rps": round(ceiling, 1),
            "minimal_ceiling_rps_rounds": [round(run.result.rps, 1) for run in self.ceilings],
            "minimal_ceiling_cpu_us": round(mean(run.server_cpu_us for run in self.ceilings), 1),
            "wrk_cpu_us": round(mean(run.wrk_cpu_us for runs in routes.values() for run in runs), 1),
            "docker_proxy_cpu_us": round(
                mean(run.proxy_cpu_us for runs in routes.values() for run in runs), 1
            ),
            "docker_engine_cpu_us": round(
                mean(run.engine_cpu_us for runs in routes.values() for run in runs), 1
            ),
            "minimal_ceiling_engine_cpu_us": round(mean(run.engine_cpu_us for run in self.ceilings), 1),
            "idle_cpu_ms_per_s": {role: round(v / 1e6, 2) for role, v in averaged(self.idle).items()},
        }
        if self.search_pg_us:
            small, large = self.args.products, self.args.search_products
            figures[f"search_pg_cpu_us_{small}"] = round(mean(self.search_pg_us[small]), 1)
            figures[f"search_pg_cpu_us_{large}"] = round(mean(self.search_pg_us[large]), 1)
            figures["search_pg_ratio"] = round(
                ratio(mean(self.search_pg_us[large]), mean(self.search_pg_us[small])), 3
            )
        if self.stress:
            summary, knee = self.stress["summary"], self.stress["summary"].get("knee") or {}
            figures |= {
                "knee_rps": knee.get("rps", 0.0),
                "knee_p95_ms": knee.get("p95_ms"),
                "knee_bound": knee.get("bound"),
                "knee_ratio": round(ratio(float(knee.get("rps", 0.0)), ceiling), 3),
                "generator_cpu_us_per_request": knee.get("generator_cpu_us_per_request"),
                "stress_exit_code": self.stress["exit_code"],
                "stress_failures": summary.get("failures"),
                "stress_server_cpu_us": round(sum(self.stress["cpu_us"].values()), 1),
                "stress_engine_cpu_us": round(self.stress["engine_cpu_us"], 1),
                "stress_server_cpu_us_by_role": {k: round(v, 1) for k, v in self.stress["cpu_us"].items()},
                "stress_summary": summary.get("reports", {}).get("summary"),
            }
        others = [run.other_cores for runs in routes.values() for run in runs]
        figures["machine"] = {
            "cpus": os.cpu_count(),
            "load_1m": [round(v, 2) for v in self.load_average],
            "other_cores_mean": round(mean(others), 2) if others else None,
            "other_cores_max": round(max(others), 2) if others else None,
        }
        return figures


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m kit.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", required=True, help="a provisioned stack (scripts/bench-stack makes one)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds per route and round")
    parser.add_argument("--connections", type=int, default=2, help="wrk connections per route (default 2)")
    parser.add_argument("--ceiling-connections", type=int, default=64, help="wrk connections for the ceiling")
    parser.add_argument("--ceiling-seconds", type=float, default=8.0)
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="idle CPU measured per round")
    parser.add_argument("--products", type=int, default=1_000, help="catalogue size (default 1000)")
    parser.add_argument("--search-products", type=int, default=100_000, help="the large catalogue for search")
    parser.add_argument("--no-stress", action="store_true", help="skip the Locust run (no knee figures)")
    parser.add_argument("--no-search-scaling", action="store_true", help="skip the two-size search figure")
    parser.add_argument(
        "--out", type=Path, help="report directory (default reports/bench-stack/<stack>-<time>)"
    )
    args = parser.parse_args(argv)
    bounds: dict[str, tuple[float, float]] = {
        "rounds": (1, 5),
        "seconds": (1, 60),
        "connections": (1, 64),
        "ceiling_connections": (1, 512),
        "ceiling_seconds": (1, 60),
        "idle_seconds": (1, 30),
        "products": (100, 100_000),
        "search_products": (1_000, 1_000_000),
    }
    for name, (low, high) in bounds.items():
        if not low <= getattr(args, name) <= high:
            parser.error(f"--{name.replace('_', '-')} must be within {low:g}..{high:g}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out: Path = args.out or REPORTS / f"{args.stack}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run = Run(args, BenchedStack.load(args.stack), stack_dataset(args.stack), out)
    console.log(f"stack {args.stack}: {run.stack.containers()}; reports in {out}")
    steps: list[Callable[[], None]] = [run.warm_routes, partial(run.one_round, 1)]
    if not args.no_stress:
        steps.append(run.stress_run)
    steps += [partial(run.one_round, number) for number in range(2, args.rounds + 1)]
    if not args.no_search_scaling:
        steps.append(run.search_scaling)
    for step in steps:
        step()
    figures = run.figures()
    found = targets(figures)
    figures["targets"] = {t.key: {"value": t.value, "target": t.text(), "ok": t.ok} for t in found}
    figures["seconds"] = round(time.monotonic() - started, 1)
    if run.stress.get("summary", {}).get("steps"):
        plot_knee(run.stress["summary"], figures["minimal_ceiling_rps"], out / "knee.png")
        figures["plot"] = str(out / "knee.png")
    (out / "figures.json").write_text(json.dumps(figures, indent=2) + "\n")
    print_tables(figures, found)
    print(json.dumps(figures))
    failed = sum(figures[f"{route}_failed"] for route in ROUND_ROUTES)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
