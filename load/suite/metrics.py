"""Pure arithmetic over a run's record: per-second samples of request counts and latency histograms.

The recorder (in the Locust master or local process) stores, every second, how many requests and
failures finished and a histogram {rounded ms: count} of their response times. Any window of the
run -- the whole run, one stress step, a 5-second slice for the plot -- is then exact: sum the
samples, read percentiles off the merged histogram.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field


class Sample(BaseModel):
    t: float  # seconds since the test started, at the end of this sample
    users: int
    requests: int
    failures: int
    histogram: dict[int, int] = Field(default_factory=dict)


@dataclass(frozen=True)
class WindowStats:
    start_s: float
    end_s: float
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_users: int

    @property
    def duration_s(self) -> float:
        return max(self.end_s - self.start_s, 1e-9)

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def percentile(histogram: dict[int, int], fraction: float) -> float:
    """The smallest recorded time with at least `fraction` of the requests at or below it."""
    total = sum(histogram.values())
    if total == 0:
        return 0.0
    rank, seen = fraction * total, 0
    for time_ms in sorted(histogram):
        seen += histogram[time_ms]
        if seen >= rank:
            return float(time_ms)
    return float(max(histogram))


def window(samples: Sequence[Sample], start_s: float, end_s: float) -> WindowStats:
    """Totals over the samples that end inside (start_s, end_s]."""
    inside = [s for s in samples if start_s < s.t <= end_s]
    merged: Counter[int] = Counter()
    for sample in inside:
        merged.update(sample.histogram)
    hist = dict(merged)
    return WindowStats(
        start_s=start_s,
        end_s=end_s,
        requests=sum(s.requests for s in inside),
        failures=sum(s.failures for s in inside),
        p50_ms=percentile(hist, 0.50),
        p95_ms=percentile(hist, 0.95),
        p99_ms=percentile(hist, 0.99),
        max_users=max((s.users for s in inside), default=0),
    )


def whole_run(samples: Sequence[Sample]) -> WindowStats:
    if not samples:
        return window(samples, 0.0, 0.0)
    return window(samples, 0.0, samples[-1].t)


def time_series(samples: Sequence[Sample], step_s: float = 5.0) -> list[WindowStats]:
    """Consecutive windows of `step_s` seconds covering the run (for the plot). A last window shorter
    than half a step is left out: the final flush of a second or two reads as a false spike."""
    if not samples:
        return []
    end, start = samples[-1].t, 0.0
    series: list[WindowStats] = []
    while start < end:
        if end - start >= step_s / 2 or not series:
            series.append(window(samples, start, min(start + step_s, end)))
        start += step_s
    return series


@dataclass(frozen=True)
class CpuUse:
    process: str
    mean: float
    p90: float
    max: float
    saturated_share: float  # share of samples above the limit


def cpu_use(process: str, percents: Iterable[float], limit: float) -> CpuUse:
    values = sorted(percents)
    if not values:
        return CpuUse(process, 0.0, 0.0, 0.0, 0.0)
    p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
    above = sum(1 for value in values if value > limit)
    return CpuUse(process, sum(values) / len(values), p90, values[-1], above / len(values))
