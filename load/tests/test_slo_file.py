"""The versioned thresholds file and per-run overrides: bad input says what is wrong and allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from load.cli import thresholds_for
from load.suite.profiles import PROFILES
from load.suite.slo import SloFileError, load_slo


def test_the_shipped_file_covers_every_profile() -> None:
    slo = load_slo()
    assert set(slo.profiles) == set(PROFILES)
    assert slo.generator.max_cpu_percent == 90
    assert slo.thresholds("smoke").p95_ms == 200


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 2\nprofiles: {}\n", "version 2; supported: 1"),
        (
            "version: 1\nprofiles:\n  smoke: {p50_ms: 1, p95_ms: 2, p99_ms: 3, failure_ratio: 2, min_rps: 0}",
            "profiles.smoke.failure_ratio: Input should be less than or equal to 1",
        ),
        ("version: 1\nprofiles: {smoke: {p95: 1}}\n", "profiles.smoke.p95: Extra inputs are not permitted"),
        ("version: [\n", "not valid YAML"),
    ],
)
def test_invalid_files_are_explained(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(text)
    with pytest.raises(SloFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_slo(path)


def test_missing_profile_lists_the_known_ones() -> None:
    with pytest.raises(SloFileError, match="no thresholds for profile 'nope'; it has: smoke"):
        load_slo().thresholds("nope")


def test_overrides_change_one_threshold_and_are_validated() -> None:
    assert thresholds_for(load_slo(), "smoke", ["p95_ms=1"]).p95_ms == 1
    with pytest.raises(SloFileError, match="KEY one of p50_ms, p95_ms"):
        thresholds_for(load_slo(), "smoke", ["p97_ms=1"])
    with pytest.raises(ValueError, match="p95_ms"):
        thresholds_for(load_slo(), "smoke", ["p95_ms=-3"])
