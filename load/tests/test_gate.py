"""The SLO gate's verdicts: 0 met, 1 breached, 2 not valid; the stress knee."""

from __future__ import annotations

from load.suite.gate import Outcome, evaluate
from load.suite.metrics import Sample
from load.suite.profiles import Profile, Stage, get_profile
from load.suite.record import ErrorEntry
from load.suite.slo import GeneratorLimits, Thresholds
from load.tests.records import record_of, steady_samples

SMOKE = get_profile("smoke")


def test_met_when_every_threshold_holds(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    verdict = evaluate(record_of(steady_samples(20, rps=20, latency_ms=30)), SMOKE, thresholds, limits)
    assert verdict.outcome is Outcome.MET
    assert [check.name for check in verdict.checks] == [
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "failure ratio",
        "throughput rps",
    ]
    assert verdict.totals.rps == 20


def test_breached_when_p95_is_over(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    samples = steady_samples(20, rps=20, latency_ms=30)
    samples[5] = Sample(t=6, users=5, requests=20, failures=0, histogram={30: 15, 900: 5})
    samples[6] = Sample(t=7, users=5, requests=20, failures=0, histogram={30: 15, 900: 5})
    verdict = evaluate(record_of(samples), SMOKE, thresholds, limits)
    assert verdict.outcome is Outcome.BREACHED
    assert {c.name for c in verdict.checks if not c.ok} == {"p99 ms"}


def test_breached_when_failures_or_throughput_miss(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    verdict = evaluate(
        record_of(steady_samples(20, rps=5, latency_ms=30, failures=1)), SMOKE, thresholds, limits
    )
    assert verdict.outcome is Outcome.BREACHED
    assert {c.name for c in verdict.checks if not c.ok} == {"failure ratio", "throughput rps"}


def test_no_requests_is_not_valid(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    verdict = evaluate(record_of([]), SMOKE, thresholds, limits)
    assert verdict.outcome is Outcome.INVALID
    assert "no requests completed" in verdict.invalid_reasons


def test_connection_refused_is_not_valid_even_if_thresholds_hold(
    thresholds: Thresholds, limits: GeneratorLimits
) -> None:
    errors = [
        ErrorEntry(
            method="GET", name="/x", error="ConnectionRefusedError(111, 'Connection refused')", occurrences=3
        )
    ]
    verdict = evaluate(record_of(steady_samples(20, 20, 30), errors=errors), SMOKE, thresholds, limits)
    assert verdict.outcome is Outcome.INVALID
    assert "could not connect" in verdict.invalid_reasons[0]


def test_server_errors_are_a_breach_not_invalid(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    errors = [
        ErrorEntry(
            method="GET", name="/x", error="CatchResponseError('expected HTTP 200, got 503')", occurrences=100
        )
    ]
    samples = steady_samples(20, rps=20, latency_ms=30, failures=5)
    verdict = evaluate(record_of(samples, errors=errors), SMOKE, thresholds, limits)
    assert verdict.outcome is Outcome.BREACHED


def test_rate_limited_requests_make_the_run_not_valid(
    thresholds: Thresholds, limits: GeneratorLimits
) -> None:
    errors = [
        ErrorEntry(
            method="POST",
            name="/x",
            error="CatchResponseError('expected HTTP 201, got 429: ...')",
            occurrences=2,
        )
    ]
    verdict = evaluate(
        record_of(steady_samples(20, 20, 30, failures=0), errors=errors), SMOKE, thresholds, limits
    )
    assert verdict.outcome is Outcome.INVALID
    assert "RATE_LIMIT_" in verdict.invalid_reasons[0]


def test_saturated_generator_is_not_valid(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    samples = steady_samples(20, rps=20, latency_ms=30)
    busy = {"local": [(s.t, 97.0 if s.t > 15 else 40.0) for s in samples]}
    verdict = evaluate(record_of(samples, cpu=busy), SMOKE, thresholds, limits)
    assert verdict.outcome is Outcome.INVALID
    assert "local" in verdict.invalid_reasons[0]
    assert "90%" in verdict.invalid_reasons[0]


def test_a_single_busy_second_is_tolerated(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    samples = steady_samples(20, rps=20, latency_ms=30)
    cpu = {"local": [(s.t, 100.0 if s.t == 1 else 30.0) for s in samples]}
    assert evaluate(record_of(samples, cpu=cpu), SMOKE, thresholds, limits).outcome is Outcome.MET


def test_missing_workers_is_not_valid(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    record = record_of(steady_samples(20, 20, 30), expected_workers=4, workers_seen=3)
    verdict = evaluate(record, SMOKE, thresholds, limits)
    assert verdict.outcome is Outcome.INVALID
    assert verdict.invalid_reasons == ["only 3 of 4 expected workers took part"]


def test_exceptions_in_the_scenarios_make_the_run_not_valid(
    thresholds: Thresholds, limits: GeneratorLimits
) -> None:
    record = record_of(steady_samples(20, 20, 30), task_exceptions=3)
    verdict = evaluate(record, SMOKE, thresholds, limits)
    assert verdict.invalid_reasons == ["the load scenarios raised 3 exceptions (see locust_exceptions.csv)"]


def test_seed_failure_is_not_valid(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    record = record_of(steady_samples(20, 20, 30), seed_error="HTTP 401")
    assert evaluate(record, SMOKE, thresholds, limits).outcome is Outcome.INVALID


RAMP = Profile(
    "ramp", "test ramp", tuple(Stage(10, users, 10) for users in (10, 20, 30, 40)), 10, step_ramp=True
)


def ramp_samples(latencies: list[int], rps: list[int]) -> list[Sample]:
    samples = []
    for step, (latency, rate) in enumerate(zip(latencies, rps, strict=True)):
        samples += [
            Sample(
                t=float(step * 10 + s),
                users=(step + 1) * 10,
                requests=rate,
                failures=0,
                histogram={latency: rate},
            )
            for s in range(1, 11)
        ]
    return samples


def test_knee_is_the_last_step_within_the_slo(thresholds: Thresholds, limits: GeneratorLimits) -> None:
    record = record_of(ramp_samples([20, 40, 400, 900], [100, 200, 250, 240]))
    verdict = evaluate(record, RAMP, thresholds, limits)
    assert verdict.knee is not None
    assert (verdict.knee.step, verdict.knee.rps, verdict.knee.p95_ms, verdict.knee.bound) == (
        1,
        200,
        40,
        "server",
    )
    assert verdict.outcome is Outcome.MET
    assert verdict.headline == (200, 40)


def test_knee_is_generator_bound_when_the_generator_saturates_first(
    thresholds: Thresholds, limits: GeneratorLimits
) -> None:
    samples = ramp_samples([20, 40, 60, 80], [100, 200, 300, 400])
    cpu = {"local": [(s.t, 99.0 if s.t > 20 else 50.0) for s in samples]}
    verdict = evaluate(record_of(samples, cpu=cpu), RAMP, thresholds, limits)
    assert verdict.knee is not None
    assert (verdict.knee.step, verdict.knee.bound) == (1, "generator")
    assert verdict.outcome is Outcome.MET  # the knee itself was measured with an idle generator


def test_knee_below_min_rps_is_a_breach(limits: GeneratorLimits) -> None:
    strict = Thresholds(p50_ms=50, p95_ms=200, p99_ms=500, failure_ratio=0.01, min_rps=500)
    verdict = evaluate(
        record_of(ramp_samples([20, 40, 400, 900], [100, 200, 250, 240])), RAMP, strict, limits
    )
    assert verdict.outcome is Outcome.BREACHED


def test_ramp_whose_first_step_saturates_the_generator_is_not_valid(
    thresholds: Thresholds, limits: GeneratorLimits
) -> None:
    samples = ramp_samples([20, 40, 60, 80], [100, 200, 300, 400])
    cpu = {"local": [(s.t, 99.0) for s in samples]}
    assert evaluate(record_of(samples, cpu=cpu), RAMP, thresholds, limits).outcome is Outcome.INVALID


def test_every_step_within_the_slo_reports_knee_not_reached(
    thresholds: Thresholds, limits: GeneratorLimits
) -> None:
    verdict = evaluate(
        record_of(ramp_samples([20, 30, 40, 50], [100, 200, 300, 400])), RAMP, thresholds, limits
    )
    assert verdict.knee is not None
    assert (verdict.knee.step, verdict.knee.bound) == (3, "not reached")
