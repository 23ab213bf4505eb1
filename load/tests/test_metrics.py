"""Windows over per-second samples: exact percentiles from merged histograms."""

from __future__ import annotations

from load.suite.metrics import Sample, cpu_use, percentile, time_series, whole_run, window


def test_percentile_reads_the_merged_histogram() -> None:
    histogram = {10: 90, 100: 9, 1000: 1}
    assert percentile(histogram, 0.5) == 10
    assert percentile(histogram, 0.95) == 100
    assert percentile(histogram, 0.99) == 100
    assert percentile(histogram, 1.0) == 1000
    assert percentile({}, 0.95) == 0


def test_window_sums_only_its_samples() -> None:
    samples = [
        Sample(t=1, users=1, requests=10, failures=0, histogram={5: 10}),
        Sample(t=2, users=2, requests=30, failures=3, histogram={50: 30}),
        Sample(t=3, users=3, requests=10, failures=0, histogram={5: 10}),
    ]
    middle = window(samples, 1, 2)
    assert (middle.requests, middle.failures, middle.p50_ms, middle.max_users) == (30, 3, 50, 2)
    assert middle.rps == 30
    assert middle.failure_ratio == 0.1
    total = whole_run(samples)
    assert (total.requests, total.rps, total.p50_ms) == (50, 50 / 3, 50)


def test_time_series_covers_the_run_in_steps_without_a_short_tail() -> None:
    samples = [Sample(t=t, users=1, requests=1, failures=0, histogram={1: 1}) for t in range(1, 14)]
    series = time_series(samples, step_s=5)
    assert [(w.start_s, w.end_s, w.requests) for w in series] == [(0, 5, 5), (5, 10, 5), (10, 13, 3)]
    # A trailing second or two is dropped rather than drawn as a spike.
    assert [w.end_s for w in time_series(samples[:11], step_s=5)] == [5, 10]


def test_cpu_use_summarises_one_process() -> None:
    use = cpu_use("local", [10, 20, 95, 30, 40, 50, 60, 70, 80, 99], limit=90)
    assert (use.mean, use.max, use.saturated_share) == (55.4, 99, 0.2)
    assert use.p90 == 99
