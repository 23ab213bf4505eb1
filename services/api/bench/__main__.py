"""`python -m bench`: the API on 127.0.0.1 (1 worker) against throw-away Postgres and Redis, driven by
wrk, in interleaved rounds (best kept). Prints a table, then one JSON line with rps, p99 and the
ratios to the minimal endpoint.

On a 2-core machine the server and wrk share the cores: wrk takes one thread, the server one
worker, so figures are relative; the ratios are what compares across machines.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

import httpx
from rich.console import Console
from rich.table import Table

from bench.encoders import encoder_microseconds
from bench.servers import SERVERS, SERVES_IN_PROCESS, available
from kit.bench.cpu import process_cpu_seconds
from kit.bench.wrk import LoadResult, run_wrk
from kit.local.api import TEST_API_KEY, ApiProcess
from kit.local.servers import LocalPostgres, LocalRedis
from load.dataset import Dataset

PRODUCTS = 1000
# Each measured endpoint: the wrk route it is (kit/bench/wrk.py ROUTES says what a request is).
ENDPOINTS = {
    "minimal": "minimal",  # GET /health/live
    "cache_hit": "get",  # GET /api/v1/products/{id}, cached
    "db_read": "db_read",  # GET /api/v1/products?limit=20&cursor=... (a later page: from PostgreSQL)
    "list": "list",  # GET /api/v1/products?limit=20 (the first page)
    "search": "search",  # GET /api/v1/products/search?q=<word>
    "create": "create",  # POST /api/v1/products
    "update": "update",  # PATCH /api/v1/products/{id}
    "delete": "delete",  # DELETE /api/v1/products/{id}
    "order": "order",  # POST /api/v1/orders
}
WRITES = ("create", "update", "delete", "order")
TARGETS = {"cache_hit": 0.5, "db_read": 0.35} | dict.fromkeys(WRITES, 0.35)
DELETABLE_FIRST_ID = 10_000_000
DELETABLE_PER_RUN = 30_000  # more than wrk deletes in a run at this machine's rates

console = Console(stderr=True, width=130)  # the table is wider than a non-terminal default of 80


def measure(
    api: ApiProcess, data: Dataset, names: list[str], seconds: float, connections: int, rounds: int
) -> dict[str, LoadResult]:
    """Each endpoint's best of `rounds` interleaved runs: a burst of other work on the machine
    then lowers one run of one endpoint, not the ratio of the whole benchmark."""
    for product_id in range(1, PRODUCTS + 1):  # every product cached, for cache_hit
        httpx.get(f"{api.url}/api/v1/products/{product_id}").raise_for_status()
    results: dict[str, LoadResult] = {}
    for round_number in range(1, rounds + 1):
        for name in names:
            common = {"connections": connections, "api_key": TEST_API_KEY, "max_product_id": PRODUCTS}
            if name == "delete":
                first_id = DELETABLE_FIRST_ID + round_number * DELETABLE_PER_RUN * 2
                data.add_products(DELETABLE_PER_RUN, first_id, "deletable")
                common["first_id"] = first_id
            elif round_number == 1:
                run_wrk(api.url, ENDPOINTS[name], seconds=2, **common)  # warm-up: pools, statements
            assert api.proc is not None
            cpu_before = process_cpu_seconds(api.proc.pid)
            result = run_wrk(api.url, ENDPOINTS[name], seconds=seconds, run_id=str(round_number), **common)
            cpu_us = (process_cpu_seconds(api.proc.pid) - cpu_before) * 1e6 / max(1, result.requests)
            if name == "delete":
                data.settle()  # its dead rows vacuumed now, not by autovacuum during the next endpoint
            result = dataclasses.replace(result, server_cpu_us=cpu_us)
            console.log(f"round {round_number} {name}: {result.rps:,.0f} rps")
            if name not in results or result.rps > results[name].rps:
                results[name] = result
    return results


def run_server(server: str, names: list[str], args: argparse.Namespace) -> dict[str, LoadResult]:
    with LocalPostgres() as pg, LocalRedis() as rd:
        env = {
            "RATE_LIMIT_READ_LIMIT": "100000000",
            "RATE_LIMIT_WRITE_LIMIT": "100000000",
            "DB_POOL_SIZE": str(args.connections),
            "LOG_LEVEL": "INFO",
        }
        with ApiProcess(pg.url(), rd.url(), command=SERVERS[server], **env) as api:
            data = Dataset(run_sql=lambda sql: pg.execute(sql, pg.database), drop_cache=lambda: None)
            data.reset(PRODUCTS)  # the load suite's catalogue: searches and filters match alike
            return measure(api, data, names, args.seconds, args.connections, args.rounds)


def report(server: str, results: dict[str, LoadResult]) -> dict[str, float]:
    """rps ratios (the targets), and the server's CPU per request: steadier when the machine is shared."""
    minimal = results["minimal"].rps
    minimal_cpu = results["minimal"].server_cpu_us
    with_cpu = server in SERVES_IN_PROCESS
    table = Table(
        title=f"API benchmark ({server}, 1 worker, wrk -t1 -c{args.connections}, best of {args.rounds})"
    )
    columns = ["endpoint", "rps", "p50 ms", "p99 ms", "vs minimal", "target", "failed"]
    columns += ["cpu µs/req", "cpu vs minimal"] if with_cpu else []
    for column in columns:
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    figures: dict[str, float] = {}
    for name, result in results.items():
        ratio = result.rps / minimal
        target = TARGETS.get(name)
        verdict = "" if target is None else f"≥ {target} {'ok' if ratio >= target else 'MISSED'}"
        cpu_ratio = minimal_cpu / result.server_cpu_us if result.server_cpu_us else 0.0
        cells = [name, f"{result.rps:,.0f}", f"{result.p50_ms:.2f}", f"{result.p99_ms:.2f}", f"{ratio:.2f}"]
        cells += [verdict, str(result.failed)]
        cells += [f"{result.server_cpu_us:.0f}", f"{cpu_ratio:.2f}"] if with_cpu else []
        table.add_row(*cells)
        figures |= {f"{name}_rps": round(result.rps, 1), f"{name}_p99_ms": round(result.p99_ms, 2)}
        if with_cpu:
            figures[f"{name}_cpu_us"] = round(result.server_cpu_us, 1)
        if name != "minimal":
            figures[f"{name}_ratio"] = round(ratio, 3)
            if with_cpu:
                figures[f"{name}_cpu_ratio"] = round(cpu_ratio, 3)
    console.print(table)
    if all(name in results for name in WRITES):
        figures["writes_min_ratio"] = round(min(results[name].rps for name in WRITES) / minimal, 3)
    return figures


def main(args: argparse.Namespace) -> int:
    results = run_server(args.server, list(ENDPOINTS), args)
    figures = {"server": args.server, **report(args.server, results)}
    if args.compare_servers:
        for server in (s for s in SERVERS if s != args.server):
            if not available(server):
                console.log(f"{server}: not installed, skipped")
                continue
            other = run_server(server, ["minimal", "cache_hit"], args)
            report(server, other)
            figures |= {
                f"{server}_minimal_rps": round(other["minimal"].rps, 1),
                f"{server}_cache_hit_rps": round(other["cache_hit"].rps, 1),
            }
    encoders = encoder_microseconds()
    console.log("20-item page serialisation, µs: " + ", ".join(f"{k} {v:.1f}" for k, v in encoders.items()))
    figures |= {f"encode_{name}_us": round(us, 1) for name, us in encoders.items()}
    failed = sum(result.failed for result in results.values())
    figures["failed_requests"] = failed
    print(json.dumps(figures))
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="bench-api", description=__doc__)
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measured seconds per endpoint and round (default 5)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds, best kept (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--server", choices=sorted(SERVERS), default="uvicorn-httptools")
    parser.add_argument("--compare-servers", action="store_true", help="also measure the other ASGI servers")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 120 or not 1 <= args.connections <= 512 or not 1 <= args.rounds <= 10:
        parser.error("--seconds must be within 1..120, --connections within 1..512, --rounds within 1..10")
    sys.exit(main(args))
