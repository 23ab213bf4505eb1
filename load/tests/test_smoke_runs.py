"""The smoke profile, headless, against the reference API on 127.0.0.1 (real PostgreSQL and Redis):
exit 0 when the SLO holds, 1 when a threshold cannot hold or the run regressed, 2 when nothing listens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kit.local.api import local_api
from kit.local.servers import free_port
from load.baseline import Baseline, save_baseline

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with local_api(workers=1, log_path=tmp_path_factory.mktemp("api") / "api.log") as (url, key):
        yield url, key


def run_load(host: str, api_key: str, out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "PG_API_KEY": api_key}
    result = subprocess.run(
        [sys.executable, "-m", "load", "--profile", "smoke", "--host", host, "--out", str(out), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["exit_code"] == result.returncode, result.stderr
    return result.returncode, summary


def test_smoke_meets_the_slo_and_leaves_reports(api: tuple[str, str], tmp_path: Path) -> None:
    code, summary = run_load(*api, tmp_path, "--save-baseline", str(tmp_path / "baseline.json"))
    assert code == 0, summary
    assert summary["failures"] == 0
    assert summary["requests"] > 100
    assert summary["generator_cpu"]["local"]["max"] > 0
    for report in ("locust.html", "locust_stats.csv", "plot.png", "summary.json", "baseline.json"):
        assert (tmp_path / report).stat().st_size > 0, report
    assert json.loads((tmp_path / "summary.json").read_text()) == summary


def test_impossible_threshold_and_regression_exit_1(api: tuple[str, str], tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    save_baseline(baseline, Baseline(profile="smoke", host=api[0], rps=1_000_000, p95_ms=50))
    code, summary = run_load(*api, tmp_path / "out", "--set", "p95_ms=0.001", "--baseline", str(baseline))
    assert code == 1, summary
    failed = {check["name"] for check in summary["checks"] if not check["ok"]}
    assert {"p95 ms", "rps vs baseline"} <= failed
    assert summary["invalid_reasons"] == []


def test_two_generator_processes_report_both_workers(api: tuple[str, str], tmp_path: Path) -> None:
    code, summary = run_load(*api, tmp_path, "--processes", "2")
    assert code == 0, summary
    assert summary["workers"] == {"expected": 2, "seen": 2}
    assert len(summary["generator_cpu"]) == 3  # the master and each worker, measured apart


def test_closed_port_is_not_a_valid_run(tmp_path: Path) -> None:
    code, summary = run_load(f"http://127.0.0.1:{free_port()}", "any-key", tmp_path)
    assert code == 2
    assert "cannot connect" in summary["invalid_reasons"][0]


def test_remote_target_is_refused_without_allow_remote(tmp_path: Path) -> None:
    code, summary = run_load("http://192.0.2.1:80", "any-key", tmp_path)
    assert code == 2
    assert "--allow-remote" in summary["invalid_reasons"][0]
