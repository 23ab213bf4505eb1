"""The measuring steps of `python -m kit.bench`, against one provisioned stack: idle CPU, the wrk
ceiling, each route at low concurrency, the Locust stress run, search at two catalogue sizes. Each
step appends what it read to a `Run`; kit/bench/report.py turns that into figures and tables."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from kit.bench.figures import averaged, cpu_per_request_us, idle_rates
from kit.bench.stack import BenchedStack, MachineSample, busy_cores
from kit.bench.wrk import LoadResult, run_wrk
from kit.outputs import ROOT
from load.dataset import Dataset

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


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
