"""Load profiles as stage tables: how many users, at what spawn rate, for how long.

Each profile is pure data, so the shape that drives Locust (`load.suite.shape`) and the unit tests read
the same table. Offered load is `users x per_user_rps` because every user paces itself with
`constant_throughput(per_user_rps)`; that keeps a step ramp meaningful (each step offers a known
request rate) instead of every user hammering as fast as the generator can loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    duration_s: float
    users: int
    spawn_rate: float


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    stages: tuple[Stage, ...]
    per_user_rps: float
    # stress: stop at the first step that breaks the SLO, and judge the knee instead of the total.
    step_ramp: bool = False

    @property
    def duration_s(self) -> float:
        return sum(stage.duration_s for stage in self.stages)

    def stage_at(self, run_time_s: float) -> tuple[int, Stage] | None:
        """The (index, stage) active at `run_time_s`, or None once the table is exhausted."""
        elapsed = 0.0
        for index, stage in enumerate(self.stages):
            elapsed += stage.duration_s
            if run_time_s < elapsed:
                return index, stage
        return None

    def tick(
        self, run_time_s: float, step_broke_slo: Callable[[int], bool] = lambda _step: False
    ) -> tuple[int, float] | None:
        """(users, spawn rate) at `run_time_s`; None ends the run: the table is over, or a step ramp's
        previous step broke the SLO (no need to load harder)."""
        current = self.stage_at(run_time_s)
        if current is None:
            return None
        index, stage = current
        if self.step_ramp and index > 0 and step_broke_slo(index - 1):
            return None
        return stage.users, stage.spawn_rate

    def stage_windows(self) -> list[tuple[float, float]]:
        """(start, end) of every stage in seconds from the start of the run."""
        windows, start = [], 0.0
        for stage in self.stages:
            windows.append((start, start + stage.duration_s))
            start += stage.duration_s
        return windows


def _steps(users: list[int], step_s: float, spawn_rate: float) -> tuple[Stage, ...]:
    return tuple(Stage(step_s, count, spawn_rate) for count in users)


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        # ~10 rps: stays inside the API's default per-client rate limits (600 reads, 120 writes a minute).
        Profile(
            "smoke",
            "a few users for 20 s: does every route answer correctly?",
            (Stage(20, 5, 5),),
            per_user_rps=2,
        ),
        Profile(
            "baseline",
            "steady 100 rps for 2 minutes, comparable run to run",
            (Stage(15, 25, 5), Stage(105, 25, 5)),
            per_user_rps=4,
        ),
        # Offered load 20 -> 2080 rps in 18 steps of 15 s: fine enough near the knee of a small API.
        # (The bench stack's knee passed the former top step, 1200 rps: docs/performance.md.)
        Profile(
            "stress",
            "15 s steps of rising offered load (20 to 2080 rps) until the SLO breaks; reports the knee",
            _steps([5, 10, 20, 30, 40, 50, 60, 75, 90, 110, 130, 160, 200, 250, 300, 360, 440, 520], 15, 50),
            per_user_rps=4,
            step_ramp=True,
        ),
        Profile(
            "spike",
            "steady, then a sudden 5x burst, then back: does it recover?",
            (Stage(30, 40, 20), Stage(30, 200, 200), Stage(30, 40, 200)),
            per_user_rps=4,
        ),
        Profile(
            "soak",
            "100 rps for 1 hour; gates the API replicas' memory growth",
            (Stage(60, 50, 5), Stage(3540, 50, 5)),
            per_user_rps=2,
        ),
    )
}


class UnknownProfileError(ValueError):
    pass


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfileError(f"unknown load profile {name!r}; allowed: {', '.join(PROFILES)}") from None
