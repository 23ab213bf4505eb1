"""Starts Locust headless on a profile, bounded in time, with its output kept in a log file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from load.suite.profiles import Profile

LOCUSTFILE = Path(__file__).with_name("suite") / "locustfile.py"
# Spawning, seeding and the final worker reports, beyond the profile's own duration.
GRACE_S = 60.0


@dataclass(frozen=True)
class LocustRun:
    profile: Profile
    host: str
    api_key: str
    out_dir: Path
    slo_file: Path
    processes: int = 1
    remote_workers: int = 0  # workers started on other machines (`locust --worker --master-host ...`)

    @property
    def record_path(self) -> Path:
        return self.out_dir / "record.json"

    @property
    def log_path(self) -> Path:
        return self.out_dir / "locust.log"

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--host",
            self.host,
            "--csv",
            str(self.out_dir / "locust"),
            "--html",
            str(self.out_dir / "locust.html"),
            "--only-summary",
            "--stop-timeout",
            "5",
        ]
        if self.remote_workers:
            cmd += [
                "--master",
                "--expect-workers",
                str(self.remote_workers),
                "--expect-workers-max-wait",
                "120",
            ]
        elif self.processes > 1:
            # Forks a master plus N workers on this machine; the master waits for all of them.
            cmd += ["--processes", str(self.processes), "--expect-workers-max-wait", "30"]
        return cmd

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "PG_LOAD_PROFILE": self.profile.name,
            "PG_API_KEY": self.api_key,
            "PG_LOAD_RECORD": str(self.record_path),
            "PG_LOAD_SLO": str(self.slo_file),
        }

    def run(self) -> int | None:
        """Locust's exit code, or None when it overran the profile's duration and was killed."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            process = subprocess.Popen(
                self.command(), env=self.environment(), stdout=log, stderr=subprocess.STDOUT
            )
            try:
                return process.wait(timeout=self.profile.duration_s + GRACE_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the master and any workers it forked
                process.wait()
                return None
