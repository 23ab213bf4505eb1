"""The arithmetic of the stack benchmark, apart from any measuring: CPU per request from counter
readings, the mix's weighted cost, and the ratios the targets are stated in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import mean


def cpu_per_request_us(
    before: Mapping[str, int],
    after: Mapping[str, int],
    requests: int,
    *,
    idle_ns_per_s: Mapping[str, float] | None = None,
    seconds: float = 0.0,
) -> dict[str, float]:
    """Each counter's CPU µs per request between two readings (ns), less what it spends idle
    (probes, scrapes: `idle_ns_per_s` over the `seconds` the readings lay apart), never below 0."""
    if requests <= 0:
        return dict.fromkeys(after, 0.0)
    idle = idle_ns_per_s or {}
    return {
        name: max(0.0, (after[name] - before[name] - idle.get(name, 0.0) * seconds) / requests / 1000)
        for name in after
    }


def idle_rates(before: Mapping[str, int], after: Mapping[str, int], seconds: float) -> dict[str, float]:
    """ns of CPU per second each counter uses with no requests."""
    return {name: (after[name] - before[name]) / seconds if seconds > 0 else 0.0 for name in after}


def weighted_mean(values: Mapping[str, float], weights: Mapping[str, int]) -> float:
    """The mix's cost per request: each action's cost weighted by its share of the traffic."""
    missing = set(weights) - set(values)
    if missing:
        raise KeyError(f"no figure for {', '.join(sorted(missing))}")
    total = sum(weights.values())
    return sum(values[name] * weight for name, weight in weights.items()) / total


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


@dataclass(frozen=True)
class Target:
    key: str
    value: float
    limit: float
    at_most: bool  # True: value <= limit passes

    @property
    def ok(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    def text(self) -> str:
        return f"{'≤' if self.at_most else '≥'} {self.limit:g}"


def averaged(rounds: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per key, the mean over rounds (keys missing from a round are skipped there)."""
    keys = {key for figures in rounds for key in figures}
    return {key: mean(figures[key] for figures in rounds if key in figures) for key in sorted(keys)}


def spread(values: Sequence[float]) -> float:
    """(max - min) / mean: how far rounds of one figure lay apart."""
    return (max(values) - min(values)) / mean(values) if values and mean(values) else 0.0
