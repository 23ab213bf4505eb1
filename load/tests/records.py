"""Builders for run records, so gate tests state only what matters to them."""

from __future__ import annotations

from load.suite.metrics import Sample
from load.suite.record import RunRecord


def steady_samples(
    seconds: int, rps: int, latency_ms: int, failures: int = 0, users: int = 5
) -> list[Sample]:
    return [
        Sample(t=float(t), users=users, requests=rps, failures=failures, histogram={latency_ms: rps})
        for t in range(1, seconds + 1)
    ]


def record_of(samples: list[Sample], **fields: object) -> RunRecord:
    cpu = fields.pop("cpu", {"local": [(s.t, 20.0) for s in samples]})
    return RunRecord.model_validate(
        {"profile": "smoke", "host": "http://127.0.0.1:1", "samples": samples, "cpu": cpu, **fields}
    )
