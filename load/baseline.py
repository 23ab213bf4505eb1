"""Baseline regression: save a run's headline figures; a later run of the same profile fails when its
p95 is worse, or its throughput lower, than the baseline by more than the configured tolerance.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from load.suite.gate import Check
from load.suite.slo import BaselineTolerance


class Baseline(BaseModel):
    profile: str
    host: str
    rps: float
    p95_ms: float


class BaselineError(ValueError):
    pass


def save_baseline(path: Path, baseline: Baseline) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline.model_dump(), indent=2) + "\n")


def read_baseline(path: Path, profile: str) -> Baseline:
    try:
        baseline = Baseline.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise BaselineError(f"cannot read the baseline {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        raise BaselineError(
            f"{path} is not a baseline saved by --save-baseline: {exc.error_count()} errors, "
            f"first: {exc.errors()[0]['msg']}"
        ) from None
    if baseline.profile != profile:
        raise BaselineError(
            f"the baseline {path} is of profile {baseline.profile!r}, this run is {profile!r}"
        )
    return baseline


def regression_checks(
    baseline: Baseline, rps: float, p95_ms: float, tolerance: BaselineTolerance
) -> list[Check]:
    return [
        Check(
            "p95 ms vs baseline",
            baseline.p95_ms * (1 + tolerance.p95_tolerance_pct / 100),
            p95_ms,
            at_most=True,
        ),
        Check("rps vs baseline", baseline.rps * (1 - tolerance.rps_tolerance_pct / 100), rps, at_most=False),
    ]
