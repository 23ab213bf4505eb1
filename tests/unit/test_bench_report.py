"""kit/bench/report.py: a run's readings become the figures of its JSON line, and the targets are
judged on them. The readings here are made up; measuring needs a stack and is not a test."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, cast

import pytest

from kit.bench import report
from kit.bench.run import ROUND_ROUTES, RouteRun, Run
from kit.bench.stack import BenchedStack
from kit.bench.wrk import LoadResult
from load.dataset import Dataset
from load.suite.mix import MIX

# Server CPU µs per request, all in the API: the minimal endpoint costs 100, every mix route 200
# (so the mix is 2.0 x the minimal), the routes outside the mix 300.
COST = {route: 100.0 if route == "minimal" else 200.0 if route in MIX else 300.0 for route in ROUND_ROUTES}


def _route_run(route: str, us: float, rps: float = 1_000.0) -> RouteRun:
    result = LoadResult(rps=rps, p50_ms=1.0, p99_ms=5.0, requests=int(rps * 4), failed=0)
    return RouteRun(
        route, result, {"api": us}, wrk_cpu_us=50, proxy_cpu_us=80, engine_cpu_us=30, other_cores=0.1
    )


def _run(tmp_path: Path, **readings: Any) -> Run:
    args = argparse.Namespace(products=1_000, connections=2, search_products=100_000)
    stack = cast(BenchedStack, argparse.Namespace(stack="bench-test"))
    run = Run(args, stack, cast(Dataset, None), tmp_path)
    run.rounds = [{route: _route_run(route, us) for route, us in COST.items()} for _ in range(2)]
    run.ceilings = [_route_run("minimal", 100, rps=3_000), _route_run("minimal", 100, rps=4_000)]
    run.idle, run.load_average = [{"api": 1e6}], [0.5]
    for name, value in readings.items():
        setattr(run, name, value)
    return run


def test_the_json_line_holds_the_ratios_the_targets_are_stated_in(tmp_path: Path) -> None:
    stress = {
        "summary": {
            "requests": 10_000,
            "knee": {"rps": 1_000, "p95_ms": 90, "generator_cpu_us_per_request": 350},
        },
        "exit_code": 0,
        "cpu_us": {"api": 700.0, "postgres": 100.0},
        "engine_cpu_us": 150.0,
    }
    figures = report.figures_of(
        _run(tmp_path, stress=stress, search_pg_us={1_000: [400.0], 100_000: [600.0]})
    )
    assert figures["mixed_cpu_ratio"] == pytest.approx(2.0)
    assert figures["minimal_ceiling_rps"] == 4_000  # the better round
    assert figures["knee_ratio"] == pytest.approx(0.25)
    assert figures["search_pg_ratio"] == pytest.approx(1.5)
    assert figures["stress_server_cpu_us"] == pytest.approx(800.0)
    assert figures["docker_proxy_cpu_us"] == pytest.approx(80.0)
    verdicts = {target.key: target.ok for target in report.targets(figures)}
    assert verdicts == {
        "mixed_cpu_ratio": False,
        "search_pg_ratio": True,
        "generator_cpu_us_per_request": True,
        "knee_ratio": False,
    }


def test_a_run_without_stress_or_search_has_only_the_cpu_target(tmp_path: Path) -> None:
    figures = report.figures_of(_run(tmp_path))
    assert "knee_ratio" not in figures
    assert "search_pg_ratio" not in figures
    assert [target.key for target in report.targets(figures)] == ["mixed_cpu_ratio"]
    report.print_tables(figures, report.targets(figures))  # renders with the figures it has
