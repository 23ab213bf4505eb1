"""The entry point's gate-only mode and argument errors, in-process (no Locust run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from load.cli import main
from load.tests.records import record_of, steady_samples


def test_gate_only_judges_a_saved_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record_of(steady_samples(20, rps=20, latency_ms=30)).write(tmp_path / "record.json")
    assert main(["--profile", "smoke", "--gate-only", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["outcome"], summary["requests"], summary["p95_ms"]) == ("met", 400, 30)
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert (tmp_path / "plot.png").stat().st_size > 0


def test_gate_only_with_an_impossible_threshold_exits_1(tmp_path: Path) -> None:
    record_of(steady_samples(20, rps=20, latency_ms=30)).write(tmp_path / "record.json")
    assert main(["--profile", "smoke", "--gate-only", str(tmp_path), "--set", "p50_ms=1"]) == 1


def test_missing_record_is_not_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--profile", "smoke", "--gate-only", str(tmp_path)]) == 2
    assert "cannot read the run record" in capsys.readouterr().out


def test_bad_arguments_say_what_is_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--profile", "smok"])
    assert exit_info.value.code == 2
    assert "choose from smoke, baseline, stress, spike, soak" in capsys.readouterr().err.replace("'", "")
