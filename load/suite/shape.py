"""The LoadTestShape that plays a profile's stage table (chosen by PG_LOAD_PROFILE)."""

from __future__ import annotations

import os
from collections.abc import Callable

from locust import LoadTestShape

from load.suite.profiles import Profile, get_profile


class ProfileShape(LoadTestShape):
    def __init__(self, profile: Profile | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # locust leaves it unannotated
        self.profile = profile or get_profile(os.environ.get("PG_LOAD_PROFILE", "smoke"))
        # For a step ramp: called with a finished step's index; True ends the run there (SLO broken).
        self.step_broke_slo: Callable[[int], bool] = lambda _step: False

    def tick(self) -> tuple[int, float] | None:
        return self.profile.tick(self.get_run_time(), self.step_broke_slo)  # type: ignore[no-untyped-call]
