"""Figures from a run's samples: failures by kind, percentiles per window, per-second series."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kit.drill.traffic import Sample


def window(samples: Iterable[Sample], start: float, end: float = math.inf) -> list[Sample]:
    """The samples that started in [start, end)."""
    return [s for s in samples if start <= s.started < end]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latency_ms(samples: Iterable[Sample], q: float) -> float | None:
    """The samples' q-th latency percentile, in ms (one decimal); None for no samples."""
    value = percentile([s.latency for s in samples], q)
    return None if value is None else round(value * 1000, 1)


def p99_ms(samples: Iterable[Sample]) -> float | None:
    return latency_ms(samples, 99)


def failure_kind(sample: Sample) -> str:
    """`GET 502`, `POST 503`, `GET ConnectError` …: what a failed request's client saw."""
    return f"{'POST' if sample.op == 'order' else 'GET'} {sample.outcome}"


def failures(samples: Iterable[Sample]) -> dict[str, int]:
    """Failed requests by kind (every status other than 200/201, and every connection error)."""
    return dict(sorted(Counter(failure_kind(s) for s in samples if not s.ok).items()))


def in_flight(samples: Iterable[Sample], start: float, end: float, op: str) -> int:
    """Requests of `op` that had started before `end` and had not finished by `start`."""
    return sum(1 for s in samples if s.op == op and s.started <= end and s.ended >= start)


@dataclass(frozen=True)
class Series:
    """Per second of the run: requests completed, failed ones, and the p99 latency (ms)."""

    seconds: list[int]
    ok: list[int]
    failed: list[int]
    p99_ms: list[float]


def per_second(samples: Sequence[Sample]) -> Series:
    last = int(max((s.ended for s in samples), default=0)) + 1
    ok, failed = [0] * last, [0] * last
    latencies: list[list[float]] = [[] for _ in range(last)]
    for sample in samples:
        second = int(sample.ended)
        (ok if sample.ok else failed)[second] += 1
        latencies[second].append(sample.latency * 1000)
    p99 = [percentile(values, 99) or 0.0 for values in latencies]
    return Series(list(range(last)), ok, failed, p99)
