"""Locust entry point: `locust -f load/suite/locustfile.py` (normally through scripts/load).

Configuration comes from the environment so that workers on other machines get the same:
PG_LOAD_PROFILE (profile name), PG_API_KEY (write key), PG_LOAD_SEED (products each generator
process seeds, default 30), PG_LOAD_RECORD (where the master writes the run record), PG_LOAD_SLO
(thresholds file).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gevent
import locust.runners
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from load.suite.gate import generator_saturated, step_meets_slo
from load.suite.metrics import window
from load.suite.recorder import Recorder, report_worker_cpu
from load.suite.scenarios import ORDERABLE_PRODUCTS, ApiUser, remember
from load.suite.seed import SeedError, seed_catalogue
from load.suite.shape import ProfileShape
from load.suite.slo import DEFAULT_SLO_FILE, load_slo

__all__ = ["ApiUser", "ProfileShape"]

# Workers report every second (not every 3), so per-second samples and stress steps are sharp.
locust.runners.WORKER_REPORT_INTERVAL = 1.0

PROFILE = os.environ.get("PG_LOAD_PROFILE", "smoke")
SEED_COUNT = int(os.environ.get("PG_LOAD_SEED", "30"))
SEED_ERROR_MESSAGE = "pg_seed_error"
_recorder: Recorder | None = None


@events.init.add_listener  # type: ignore[untyped-decorator]  # locust's hook is unannotated
def on_init(environment: Environment, **_: Any) -> None:
    global _recorder
    if isinstance(environment.runner, WorkerRunner):
        gevent.spawn(report_worker_cpu, environment.runner)
        return
    _recorder = recorder = Recorder(environment, PROFILE)
    if isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(SEED_ERROR_MESSAGE, recorder.on_seed_error)
    shape = environment.shape_class
    if isinstance(shape, ProfileShape) and shape.profile.step_ramp:
        slo = load_slo(Path(os.environ.get("PG_LOAD_SLO", DEFAULT_SLO_FILE)))
        thresholds, limits = slo.thresholds(PROFILE), slo.generator
        windows = shape.profile.stage_windows()

        def step_broke_slo(step: int) -> bool:
            start, end = windows[step]
            stats = window(recorder.record.samples, start, end)
            return not step_meets_slo(stats, thresholds) or generator_saturated(
                recorder.record, limits, start, end
            )

        shape.step_broke_slo = step_broke_slo


@events.test_start.add_listener  # type: ignore[untyped-decorator]  # locust's hook is unannotated
def on_test_start(environment: Environment, **_: Any) -> None:
    """Every process that runs users seeds its own products; the master (if any) records."""
    runner = environment.runner
    assert runner is not None
    if not isinstance(runner, MasterRunner):
        try:
            seeded = seed_catalogue(environment.host or "", os.environ.get("PG_API_KEY", ""), SEED_COUNT)
        except SeedError as exc:
            if isinstance(runner, WorkerRunner):
                runner.send_message(SEED_ERROR_MESSAGE, {"error": str(exc)})
            elif _recorder is not None:
                _recorder.record.seed_error = str(exc)
            gevent.spawn(runner.quit)  # the run is invalid already; do not load a broken target
            return
        remember(seeded)
        ORDERABLE_PRODUCTS.extend(seeded)
    if _recorder is not None:
        # The profile's clock and the samples start when the load does, not before seeding.
        if environment.shape_class is not None:
            environment.shape_class.reset_time()  # type: ignore[no-untyped-call]
        _recorder.start()


@events.quitting.add_listener  # type: ignore[untyped-decorator]  # locust's hook is unannotated
def on_quitting(environment: Environment, **_: Any) -> None:
    if _recorder is not None and (path := os.environ.get("PG_LOAD_RECORD")):
        _recorder.finish(Path(path))
