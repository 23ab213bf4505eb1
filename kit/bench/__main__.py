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
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from kit.bench.plot import plot_knee
from kit.bench.report import figures_of, print_tables, targets
from kit.bench.run import ROUND_ROUTES, Run, console
from kit.bench.stack import BenchedStack
from kit.outputs import ROOT
from load.dataset import stack_dataset

REPORTS = ROOT / "reports" / "bench-stack"


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
    figures = figures_of(run)
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
