"""`python -m kit.bench.generator`: the load generator's own CPU per request, at a fixed offered
load, against the API on 127.0.0.1 (throw-away PostgreSQL and Redis, rate limits off).

The load suite's users (`load/suite`, the stress profile's 4 requests a second each) run for
`--seconds` after `--warmup`; the suite's recorder samples the Locust process's CPU and the
requests every second, and the figure is the gate's own `generator_cpu_us_per_request` over the
measured window: what a stress run's summary reports at its knee, at a load chosen here. With
`--suite DIR` (a checkout holding `load/suite`, e.g. `git archive REV load | tar -x -C DIR`) the
given suites are measured in interleaved rounds against the same API, so an old and a new suite
compare side by side on a machine whose other work comes and goes. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

from kit.local.api import local_target
from kit.outputs import ROOT
from load.dataset import Dataset
from load.suite.gate import generator_cpu_us_per_request
from load.suite.metrics import window
from load.suite.record import RunRecord

LOCUSTFILE = Path(__file__).with_name("generator_locustfile.py")


def run_suite(
    suite_root: Path, host: str, api_key: str, users: int, seconds: float, warmup: float
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="genbench-") as scratch:
        record_path = Path(scratch) / "record.json"
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(suite_root), os.environ.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            "PG_LOAD_PROFILE": "stress",
            "PG_API_KEY": api_key,
            "PG_LOAD_RECORD": str(record_path),
        }
        command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host]
        command += ["-u", str(users), "-r", str(users), "-t", f"{warmup + seconds:.0f}s"]
        command += ["--only-summary", "--stop-timeout", "2", "--loglevel", "WARNING"]
        done = subprocess.run(
            command,
            env=environment,
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=warmup + seconds + 120,
        )
        if not record_path.exists():
            raise RuntimeError(f"locust wrote no record (exit {done.returncode}):\n{done.stderr[-3000:]}")
        record = RunRecord.read(record_path)
    end = warmup + seconds
    stats = window(record.samples, warmup, end)
    return {
        "cpu_us_per_request": generator_cpu_us_per_request(record, warmup, end),
        "rps": stats.requests / seconds,
        "failures": float(stats.failures),
        "task_exceptions": float(record.task_exceptions),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.bench.generator", description=__doc__)
    parser.add_argument(
        "--users", type=int, default=150, help="users, 4 requests a second each (default 150)"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per run (default 30)")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before measuring (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="API workers (default 2)")
    parser.add_argument(
        "--suite",
        type=Path,
        action="append",
        help="a directory holding load/suite (default: this checkout's)",
    )
    args = parser.parse_args()
    suites = [path.resolve() for path in args.suite or [ROOT]]
    runs: dict[str, list[dict[str, float]]] = {str(suite): [] for suite in suites}
    with local_target(args.workers) as target:
        data = Dataset(
            run_sql=lambda sql: target.postgres.execute(sql, target.postgres.database),
            drop_cache=lambda: None,
        )
        for round_number in range(1, args.rounds + 1):
            for suite in suites:
                data.reset(1000)  # each run starts from the same catalogue
                figures = run_suite(suite, target.url, target.api_key, args.users, args.seconds, args.warmup)
                runs[str(suite)].append(figures)
                print(
                    f"round {round_number} {suite}: {figures['cpu_us_per_request']:.0f} µs per request at "
                    f"{figures['rps']:.0f} rps, {figures['failures']:.0f} failures",
                    file=sys.stderr,
                    flush=True,
                )
    summary = {
        suite: {
            "cpu_us_per_request": round(median(r["cpu_us_per_request"] for r in results), 1),
            "cpu_us_per_request_runs": [round(r["cpu_us_per_request"], 1) for r in results],
            "rps": round(median(r["rps"] for r in results), 1),
            "failures": sum(r["failures"] + r["task_exceptions"] for r in results),
        }
        for suite, results in runs.items()
    }
    print(json.dumps({"users": args.users, "offered_rps": args.users * 4, "suites": summary}))
    return 1 if any(s["failures"] for s in summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
