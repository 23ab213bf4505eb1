"""Memory of the API replicas during a run (`docker stats`), so that a soak shows a leak as growth."""

from __future__ import annotations

import re
import subprocess
import threading
from statistics import mean

from load.suite.gate import Check

_UNITS = {
    "B": 1 / 2**20,
    "KiB": 1 / 2**10,
    "MiB": 1.0,
    "GiB": 2**10,
    "kB": 1e3 / 2**20,
    "MB": 1e6 / 2**20,
    "GB": 1e9 / 2**20,
}
_USAGE = re.compile(r"^\s*([\d.]+)\s*([A-Za-z]+)")


def parse_mib(usage: str) -> float:
    """MiB used from docker's MemUsage column, e.g. '123.4MiB / 1.944GiB' -> 123.4."""
    match = _USAGE.match(usage)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"unexpected docker memory figure {usage!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


class ReplicaMemoryWatch:
    """Samples every `interval_s` in a thread; missing containers or docker are skipped, not fatal."""

    def __init__(self, containers: list[str], interval_s: float = 15.0) -> None:
        self.containers = containers
        self.interval_s = interval_s
        self.mib: dict[str, list[float]] = {name: [] for name in containers}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replica-memory", daemon=True)

    def __enter__(self) -> ReplicaMemoryWatch:
        if self.containers:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> None:
        try:
            result = subprocess.run(
                ["docker", "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", *self.containers],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return
        for line in result.stdout.splitlines():
            name, _, usage = line.partition("\t")
            if name in self.mib:
                try:
                    self.mib[name].append(parse_mib(usage))
                except ValueError:
                    continue

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "first_mib": round(s[0], 1),
                "last_mib": round(s[-1], 1),
                "max_mib": round(max(s), 1),
                "growth_pct": round(growth_pct(s), 1),
            }
            for name, s in self.mib.items()
            if s
        }


def growth_pct(series: list[float]) -> float:
    """Growth from the first to the last few samples (averaged: one GC cycle is not a leak)."""
    if len(series) < 2:
        return 0.0
    window = max(1, min(3, len(series) // 3))
    start, end = mean(series[:window]), mean(series[-window:])
    return (end - start) / start * 100 if start else 0.0


def memory_checks(watch: ReplicaMemoryWatch, max_growth_pct: float | None) -> list[Check]:
    if max_growth_pct is None:
        return []
    return [
        Check(f"memory growth % ({name})", max_growth_pct, growth_pct(series), at_most=True)
        for name, series in watch.mib.items()
        if len(series) >= 2
    ]
