"""Locust file of `python -m kit.bench.generator`: the load suite's users and its event listeners
(seeding, the per-second recorder of requests and of this process's CPU), at a fixed user count
(`-u`) instead of a profile's stages. The suite is whichever `load` package is first on the path."""

from __future__ import annotations

import load.suite.locustfile  # noqa: F401  # registers the suite's listeners; its shape stays out
from load.suite.scenarios import ApiUser

__all__ = ["ApiUser"]
