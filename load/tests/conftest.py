"""Shared fixtures of the load tests."""

from __future__ import annotations

import pytest

from load.suite.slo import GeneratorLimits, Thresholds


@pytest.fixture
def thresholds() -> Thresholds:
    return Thresholds(p50_ms=50, p95_ms=200, p99_ms=500, failure_ratio=0.01, min_rps=10)


@pytest.fixture
def limits() -> GeneratorLimits:
    return GeneratorLimits(max_cpu_percent=90, max_saturated_share=0.1)
