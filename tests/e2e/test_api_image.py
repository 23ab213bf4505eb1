"""The API image as deployed: built on the local Debian base, it runs with a read-only root and a
tmpfs /tmp as a non-root user, turns healthy by its own HEALTHCHECK, gets ready against real
Postgres and Redis, names its replica, and stops gracefully on SIGTERM.

The checks live in `harness.image` (also run by scripts/lib/test-api-image); this runs them
in-process so CI proves the image on every e2e run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from harness.image import check_image

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASE_IMAGE = "proving-ground/debian-base:bookworm"


@pytest.fixture
def image_tag() -> Iterator[str]:
    tag = f"proving-ground/api:e2e-image-check-{os.getpid()}"
    yield tag
    # Untag only: the layers stay as build cache for the next run.
    subprocess.run(["docker", "image", "rm", "--no-prune", tag], capture_output=True, check=False)


def test_api_image_runs_as_deployed(image_tag: str) -> None:
    figures = check_image(image_tag, BASE_IMAGE)
    number = {name: float(str(value)) for name, value in figures.items() if name != "image"}

    assert number["exit_code"] in (0, 143), "SIGTERM must stop the server cleanly"
    assert number["stop_seconds"] < 20, "stopped by the docker stop timeout, not by draining"
    assert number["ready_seconds"] < 60
    assert number["healthy_seconds"] < 60
    assert 0 < number["size_mb"] < 400
