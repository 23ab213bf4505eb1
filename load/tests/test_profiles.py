"""Stage tables and how the shape plays them (tests never import locust: it monkey-patches the process)."""

from __future__ import annotations

import pytest

from load.suite.profiles import PROFILES, Profile, Stage, UnknownProfileError, get_profile


def test_every_profile_is_bounded_and_smoke_is_short() -> None:
    assert set(PROFILES) == {"smoke", "baseline", "stress", "spike", "soak"}
    assert get_profile("smoke").duration_s <= 30
    assert get_profile("stress").duration_s <= 300
    for profile in PROFILES.values():
        assert profile.stages
        assert all(
            stage.duration_s > 0 and stage.users > 0 and stage.spawn_rate > 0 for stage in profile.stages
        )


def test_stress_is_a_rising_step_ramp_and_spike_rises_then_falls() -> None:
    stress = [stage.users for stage in get_profile("stress").stages]
    assert stress == sorted(stress)
    assert len(set(stress)) == len(stress)
    assert get_profile("stress").step_ramp
    spike = [stage.users for stage in get_profile("spike").stages]
    assert spike[1] > spike[0]
    assert spike[2] < spike[1]


def test_unknown_profile_names_the_allowed_ones() -> None:
    with pytest.raises(UnknownProfileError, match="allowed: smoke, baseline, stress, spike, soak"):
        get_profile("smok")


TABLE = Profile("t", "test", (Stage(10, 5, 1), Stage(20, 50, 10)), per_user_rps=1)


@pytest.mark.parametrize(
    ("run_time", "expected"),
    [(0, (5, 1)), (9.99, (5, 1)), (10, (50, 10)), (29.9, (50, 10)), (30, None), (1000, None)],
)
def test_tick_follows_the_table(run_time: float, expected: tuple[int, float] | None) -> None:
    assert TABLE.tick(run_time) == expected


def test_step_ramp_stops_after_a_step_that_broke_the_slo() -> None:
    ramp = Profile("r", "ramp", (Stage(10, 5, 5), Stage(10, 10, 5), Stage(10, 20, 5)), 1, step_ramp=True)

    def broke(step: int) -> bool:
        return step == 1

    assert ramp.tick(5, broke) == (5, 5)
    assert ramp.tick(15, broke) == (10, 5)  # step 0 held
    assert ramp.tick(25, broke) is None  # step 1 broke it: no need to load harder


def test_stage_windows_cover_the_run() -> None:
    assert TABLE.stage_windows() == [(0, 10), (10, 30)]
