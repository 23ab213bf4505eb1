"""Runs inside Locust: every second, on the master (or the single local process), the requests,
failures and latency histogram that finished since the last second, and each generator process's
own CPU use (workers report theirs to the master). Written to PG_LOAD_RECORD when Locust quits.
"""

from __future__ import annotations

import time
from pathlib import Path

import gevent
import psutil
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner
from locust.stats import RequestStats

from load.suite.metrics import Sample
from load.suite.record import ErrorEntry, RouteEntry, RunRecord

CPU_MESSAGE = "pg_cpu"
SAMPLE_INTERVAL_S = 1.0


class Recorder:
    def __init__(self, environment: Environment, profile: str) -> None:
        self.environment = environment
        self.record = RunRecord(profile=profile, host=environment.host or "")
        self._started = time.monotonic()
        self._last_requests = self._last_failures = 0
        self._last_histogram: dict[int, int] = {}
        self._greenlet: gevent.Greenlet | None = None

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._started

    def start(self) -> None:
        self._started = time.monotonic()
        runner = self.environment.runner
        if isinstance(runner, MasterRunner):
            options = runner.environment.parsed_options
            self.record.expected_workers = options.expect_workers if options else 0
            runner.register_message(CPU_MESSAGE, self._on_worker_cpu)
        self._greenlet = gevent.spawn(self._sample_forever)

    def _sample_forever(self) -> None:
        process = psutil.Process()
        process.cpu_percent()  # the first call only sets the reference point
        name = "master" if isinstance(self.environment.runner, MasterRunner) else "local"
        while True:
            gevent.sleep(SAMPLE_INTERVAL_S)
            self.record.cpu.setdefault(name, []).append((self.elapsed_s, process.cpu_percent()))
            self.sample()

    def _on_worker_cpu(self, environment: Environment, msg: object, **_: object) -> None:
        data = msg.data  # type: ignore[attr-defined]
        self.record.cpu.setdefault(f"worker {data['worker']}", []).append(
            (self.elapsed_s, float(data["cpu"]))
        )

    def on_seed_error(self, environment: Environment, msg: object, **_: object) -> None:
        self.record.seed_error = str(msg.data["error"])  # type: ignore[attr-defined]

    def sample(self) -> None:
        runner = self.environment.runner
        assert runner is not None
        total = runner.stats.total
        histogram = {t: n - self._last_histogram.get(t, 0) for t, n in total.response_times.items()}
        self.record.samples.append(
            Sample(
                t=self.elapsed_s,
                users=runner.user_count,
                requests=total.num_requests - self._last_requests,
                failures=total.num_failures - self._last_failures,
                histogram={t: n for t, n in histogram.items() if n},
            )
        )
        self._last_requests, self._last_failures = total.num_requests, total.num_failures
        self._last_histogram = dict(total.response_times)
        if isinstance(runner, MasterRunner):
            self.record.workers_seen = max(self.record.workers_seen, len(runner.clients))

    def finish(self, path: Path) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
            self.sample()
        stats: RequestStats = self.environment.stats
        self.record.routes = [
            RouteEntry(
                method=e.method or "",
                name=e.name,
                requests=e.num_requests,
                failures=e.num_failures,
                p50_ms=e.get_response_time_percentile(0.5),
                p95_ms=e.get_response_time_percentile(0.95),
                p99_ms=e.get_response_time_percentile(0.99),
            )
            for e in sorted(stats.entries.values(), key=lambda entry: (entry.name, entry.method or ""))
        ]
        self.record.errors = [
            ErrorEntry(method=e.method or "", name=e.name, error=str(e.error), occurrences=e.occurrences)
            for e in stats.errors.values()
        ]
        if self.environment.runner is not None:
            self.record.task_exceptions = sum(e["count"] for e in self.environment.runner.exceptions.values())
        self.record.write(path)


def report_worker_cpu(runner: WorkerRunner) -> None:
    """On a worker: send this process's CPU use to the master every second."""
    process = psutil.Process()
    process.cpu_percent()
    while True:
        gevent.sleep(SAMPLE_INTERVAL_S)
        runner.send_message(CPU_MESSAGE, {"worker": runner.client_id[-8:], "cpu": process.cpu_percent()})
