"""Baseline regression and replica memory growth checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from load.baseline import Baseline, BaselineError, read_baseline, regression_checks, save_baseline
from load.replicas import ReplicaMemoryWatch, growth_pct, memory_checks, parse_mib
from load.suite.slo import BaselineTolerance

TOLERANCE = BaselineTolerance(p95_tolerance_pct=20, rps_tolerance_pct=10)
BASE = Baseline(profile="baseline", host="http://127.0.0.1:1", rps=100, p95_ms=50)


@pytest.mark.parametrize(
    ("rps", "p95_ms", "failed"),
    [(100, 50, set()), (91, 59.9, set()), (89, 50, {"rps vs baseline"}), (100, 61, {"p95 ms vs baseline"})],
)
def test_regression_beyond_tolerance_fails(rps: float, p95_ms: float, failed: set[str]) -> None:
    assert {c.name for c in regression_checks(BASE, rps, p95_ms, TOLERANCE) if not c.ok} == failed


def test_baseline_round_trip_and_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "b.json"
    save_baseline(path, BASE)
    assert read_baseline(path, "baseline") == BASE
    with pytest.raises(BaselineError, match="profile 'baseline', this run is 'smoke'"):
        read_baseline(path, "smoke")
    path.write_text("{}")
    with pytest.raises(BaselineError, match="not a baseline saved by --save-baseline"):
        read_baseline(path, "baseline")
    with pytest.raises(BaselineError, match="cannot read"):
        read_baseline(tmp_path / "absent.json", "baseline")


@pytest.mark.parametrize(
    ("usage", "mib"), [("123.4MiB / 1.944GiB", 123.4), ("1.5GiB / 4GiB", 1536), ("512KiB / 1GiB", 0.5)]
)
def test_docker_memory_figures_parse(usage: str, mib: float) -> None:
    assert parse_mib(usage) == pytest.approx(mib)


def test_unknown_memory_figure_is_an_error() -> None:
    with pytest.raises(ValueError, match="unexpected docker memory figure"):
        parse_mib("--")


def test_growth_compares_averaged_ends() -> None:
    assert growth_pct([100, 100, 100, 130, 130, 130]) == pytest.approx(30)
    assert growth_pct([100]) == 0


def test_memory_checks_only_when_a_limit_is_set() -> None:
    watch = ReplicaMemoryWatch([])
    watch.mib = {"ci-api-0": [100, 100, 100, 150, 150, 150], "ci-api-1": [100, 101, 100, 102, 100, 101]}
    assert memory_checks(watch, None) == []
    assert {c.name: c.ok for c in memory_checks(watch, 20)} == {
        "memory growth % (ci-api-0)": False,
        "memory growth % (ci-api-1)": True,
    }
