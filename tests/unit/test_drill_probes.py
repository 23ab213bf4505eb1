"""kit/drill/probes.py: a replica is paused only where no healthcheck probe can be starting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kit.drill.probes import MARGIN_S, clear_for, docker_epoch

INTERVAL_NS = 5_000_000_000
NOW = datetime(2026, 12, 1, 18, 7, 30, tzinfo=UTC).timestamp()


def _attrs(ended_ago: float | None, test: list[str] | None = None) -> dict[str, Any]:
    log = [] if ended_ago is None else [{"End": _stamp(NOW - ended_ago)}]
    return {
        "Config": {
            "Healthcheck": {
                "Test": test or ["CMD", "python", "-m", "app.healthcheck"],
                "Interval": INTERVAL_NS,
            }
        },
        "State": {"Health": {"Status": "healthy", "Log": log}},
    }


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"  # nanoseconds


def test_docker_timestamps_are_read_to_the_microsecond() -> None:
    assert docker_epoch("2026-12-01T18:07:30.123456789Z") == pytest.approx(NOW + 0.123456, abs=1e-6)
    assert docker_epoch("2026-12-01T18:07:30Z") == NOW


@pytest.mark.parametrize(
    ("ended_ago", "clear"),
    [
        (0.2, 5 - 0.2 - MARGIN_S),  # a probe just ended: the next starts an interval later
        (3.0, 5 - 3.0 - MARGIN_S),
        (4.0, None),  # the next one may start before a pause is through
        (6.0, None),  # one is running, or starting
        (-30.0, None),  # an end in the future: the clocks disagree, trust nothing
        (None, None),  # no probe yet: when the first starts is not known
    ],
)
def test_clear_only_right_after_a_probe_ended(ended_ago: float | None, clear: float | None) -> None:
    found = clear_for(_attrs(ended_ago), NOW)
    assert found == (None if clear is None else pytest.approx(clear))


@pytest.mark.parametrize("config", [{}, {"Healthcheck": None}, {"Healthcheck": {"Test": ["NONE"]}}])
def test_a_container_without_probes_is_always_clear(config: dict[str, Any]) -> None:
    assert clear_for({"Config": config, "State": {}}, NOW) == float("inf")
