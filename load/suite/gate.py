"""The SLO gate: a run's record against the profile's thresholds -> exit 0 (met), 1 (breached),
2 (the run is not valid). Pure functions; the table and JSON are rendered in `load.report`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import IntEnum

from load.suite.metrics import CpuUse, WindowStats, cpu_use, whole_run, window
from load.suite.profiles import Profile
from load.suite.record import RunRecord
from load.suite.slo import GeneratorLimits, Thresholds

# Errors that mean "the target is not there", as opposed to the target failing under load.
CONNECTION_ERROR = re.compile(
    r"ConnectionRefused|Name or service not known|NameResolution|No route to host"
    r"|gaierror|Network is unreachable"
)


# The target's rate limiter answered: the run measured the limiter, not the service.
RATE_LIMITED = re.compile(r"got 429\b")


class Outcome(IntEnum):
    MET = 0
    BREACHED = 1
    INVALID = 2


@dataclass(frozen=True)
class Check:
    name: str
    threshold: float
    measured: float
    at_most: bool  # True: measured must be <= threshold; False: >=

    @property
    def ok(self) -> bool:
        return self.measured <= self.threshold if self.at_most else self.measured >= self.threshold


@dataclass(frozen=True)
class Knee:
    step: int
    users: int
    rps: float
    p95_ms: float
    # "server": the next step broke the SLO; "generator": the next step saturated the generator;
    # "not reached": every step met the SLO, so the server's knee lies beyond the table.
    bound: str
    # CPU time the generator processes (together) spent per request in the knee's step.
    generator_cpu_us: float = 0.0


@dataclass(frozen=True)
class Step:
    """One step of a step ramp: what it offered, what came back, what the generator paid for it."""

    stats: WindowStats
    offered_rps: float
    generator_cpu_us: float  # per request, every generator process together


@dataclass
class Verdict:
    totals: WindowStats
    checks: list[Check] = field(default_factory=list)
    invalid_reasons: list[str] = field(default_factory=list)
    cpu: list[CpuUse] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    knee: Knee | None = None

    @property
    def outcome(self) -> Outcome:
        if self.invalid_reasons:
            return Outcome.INVALID
        return Outcome.MET if all(check.ok for check in self.checks) else Outcome.BREACHED

    @property
    def headline(self) -> tuple[float, float]:
        """(rps, p95 ms) that a baseline compares: the knee for a step ramp, else the whole run."""
        if self.knee is not None:
            return self.knee.rps, self.knee.p95_ms
        return self.totals.rps, self.totals.p95_ms


def latency_checks(stats: WindowStats, slo: Thresholds) -> list[Check]:
    return [
        Check("p50 ms", slo.p50_ms, stats.p50_ms, at_most=True),
        Check("p95 ms", slo.p95_ms, stats.p95_ms, at_most=True),
        Check("p99 ms", slo.p99_ms, stats.p99_ms, at_most=True),
        Check("failure ratio", slo.failure_ratio, stats.failure_ratio, at_most=True),
    ]


def step_meets_slo(stats: WindowStats, slo: Thresholds) -> bool:
    return stats.requests > 0 and all(check.ok for check in latency_checks(stats, slo))


def generator_saturated(record: RunRecord, limits: GeneratorLimits, start_s: float, end_s: float) -> bool:
    """True when any generator process spent too many of its samples in (start_s, end_s] above the limit."""
    for series in record.cpu.values():
        inside = [percent for t, percent in series if start_s < t <= end_s]
        if (
            inside
            and cpu_use("", inside, limits.max_cpu_percent).saturated_share > limits.max_saturated_share
        ):
            return True
    return False


def generator_cpu_us_per_request(record: RunRecord, start_s: float, end_s: float) -> float:
    """CPU time of every generator process together per request finished in (start_s, end_s]:
    each process's mean CPU share over its samples there, times the window, over the requests."""
    requests = window(record.samples, start_s, end_s).requests
    busy_s = 0.0
    for series in record.cpu.values():
        inside = [percent for t, percent in series if start_s < t <= end_s]
        if inside:
            busy_s += sum(inside) / len(inside) / 100 * (end_s - start_s)
    return busy_s / requests * 1e6 if requests else 0.0


def find_knee(record: RunRecord, profile: Profile, slo: Thresholds, limits: GeneratorLimits) -> Knee | None:
    """The highest-throughput step that met the SLO, up to the first step that did not."""
    best: Knee | None = None
    for index, (start, end) in enumerate(profile.stage_windows()):
        stats = window(record.samples, start, end)
        if stats.requests == 0:
            break  # the ramp stopped before this step
        if generator_saturated(record, limits, start, end):
            return _bounded(best, "generator")
        if not step_meets_slo(stats, slo):
            return _bounded(best, "server")
        if best is None or stats.rps > best.rps:
            cpu_us = generator_cpu_us_per_request(record, start, end)
            best = Knee(index, profile.stages[index].users, stats.rps, stats.p95_ms, "not reached", cpu_us)
    return best


def _bounded(knee: Knee | None, bound: str) -> Knee | None:
    return None if knee is None else replace(knee, bound=bound)


def evaluate(record: RunRecord, profile: Profile, slo: Thresholds, limits: GeneratorLimits) -> Verdict:
    verdict = Verdict(totals=whole_run(record.samples))
    verdict.cpu = [
        cpu_use(name, [percent for _, percent in series], limits.max_cpu_percent)
        for name, series in sorted(record.cpu.items())
    ]
    verdict.invalid_reasons = _invalid_reasons(record, verdict, limits, profile)
    if profile.step_ramp:
        # Steps the run got at least halfway through (the ramp stops just after a breaking step).
        ran_until = record.samples[-1].t if record.samples else 0.0
        verdict.steps = [
            Step(
                window(record.samples, start, end),
                stage.users * profile.per_user_rps,
                generator_cpu_us_per_request(record, start, end),
            )
            for stage, (start, end) in zip(profile.stages, profile.stage_windows(), strict=True)
            if ran_until >= (start + end) / 2
        ]
        verdict.knee = find_knee(record, profile, slo, limits)
        knee_rps = verdict.knee.rps if verdict.knee else 0.0
        verdict.checks = [Check("knee rps (highest step within SLO)", slo.min_rps, knee_rps, at_most=False)]
    else:
        verdict.checks = [
            *latency_checks(verdict.totals, slo),
            Check("throughput rps", slo.min_rps, verdict.totals.rps, at_most=False),
        ]
    return verdict


def _invalid_reasons(
    record: RunRecord, verdict: Verdict, limits: GeneratorLimits, profile: Profile
) -> list[str]:
    reasons = []
    if record.seed_error:
        reasons.append(f"seeding test data through the API failed: {record.seed_error}")
    if record.task_exceptions:
        reasons.append(
            f"the load scenarios raised {record.task_exceptions} exceptions (see locust_exceptions.csv)"
        )
    if verdict.totals.requests == 0:
        reasons.append("no requests completed")
    unreachable = sum(e.occurrences for e in record.errors if CONNECTION_ERROR.search(e.error))
    if unreachable:
        reasons.append(f"{unreachable} requests could not connect to the target {record.host}")
    limited = sum(e.occurrences for e in record.errors if RATE_LIMITED.search(e.error))
    if limited:
        reasons.append(
            f"{limited} requests were rate-limited (HTTP 429): raise the target's RATE_LIMIT_* for load runs"
        )
    if record.workers_seen < record.expected_workers:
        reasons.append(f"only {record.workers_seen} of {record.expected_workers} expected workers took part")
    # A step ramp is allowed to end in saturation: that is where its knee becomes generator-bound.
    if not profile.step_ramp:
        reasons += [
            f"load generator process {use.process} was above {limits.max_cpu_percent:.0f}% CPU in "
            f"{use.saturated_share:.0%} of its samples (allowed {limits.max_saturated_share:.0%})"
            for use in verdict.cpu
            if use.saturated_share > limits.max_saturated_share
        ]
    elif generator_saturated(record, limits, *profile.stage_windows()[0]):
        reasons.append(
            "the load generator saturated its CPU in the first step: nothing it measured is the server's"
        )
    return reasons
