"""The LoadTestShape that plays a profile's stage table (chosen by PG_LOAD_PROFILE)."""

from __future__ import annotations

import os
from collections.abc import Callable

from locust import LoadTestShape

from load.profiles import Profile, get_profile


class ProfileShape(LoadTestShape):
    def __init__(self, profile: Profile | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # locust leaves it unannotated
        self.profile = profile or get_profile(os.environ.get("PG_LOAD_PROFILE", "smoke"))
        # For a step ramp: called with a finished step's index; True ends the run there (SLO broken).
        self.step_broke_slo: Callable[[int], bool] = lambda _step: False

    def tick(self) -> tuple[int, float] | None:
        return self.tick_at(self.get_run_time())  # type: ignore[no-untyped-call]

    def tick_at(self, run_time_s: float) -> tuple[int, float] | None:
        current = self.profile.stage_at(run_time_s)
        if current is None:
            return None
        index, stage = current
        if self.profile.step_ramp and index > 0 and self.step_broke_slo(index - 1):
            return None
        return stage.users, stage.spawn_rate
