"""Draining: on SIGTERM a replica first says it is not ready and keeps serving for `drain_seconds`,
so the load balancer (which polls readiness) takes it out while nothing has failed yet; only then
does uvicorn shut down gracefully (in-flight requests finish within `shutdown_grace_seconds`).

uvicorn installs its SIGTERM handler (with `signal.signal`) before the application's lifespan
starts, in every worker: `install()` wraps that handler, and calls it once the drain is over. A
second SIGTERM during the drain stops at once, as uvicorn would.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from app.core.logs import get_logger

log = get_logger(__name__)
Handler = Callable[[int, FrameType | None], object]


class Drain:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._since: float | None = None

    @property
    def draining(self) -> bool:
        return self._since is not None

    def install(self) -> bool:
        """Wraps the running server's SIGTERM handler; False (nothing done) when there is none to
        wrap or no drain is asked for."""
        if self.seconds <= 0 or threading.current_thread() is not threading.main_thread():
            return False
        shutdown = signal.getsignal(signal.SIGTERM)
        if not callable(shutdown):
            return False

        def on_sigterm(sig: int, frame: FrameType | None) -> None:
            if self._since is not None:
                shutdown(sig, frame)
                return
            self._since = time.monotonic()
            log.info("draining: not ready, still serving", seconds=self.seconds)
            timer = threading.Timer(self.seconds, self._end, args=(shutdown, sig))
            timer.daemon = True
            timer.start()

        signal.signal(signal.SIGTERM, on_sigterm)
        return True

    def _end(self, shutdown: Handler, sig: int) -> None:
        log.info("drained: shutting down", seconds=round(time.monotonic() - (self._since or 0.0), 2))
        shutdown(sig, None)
