"""Short-lived copies of the hottest read responses, in this process: the first page of the
product list and search results.

Those pages are read far more often than anything they show changes, and each costs a query;
served from here they cost a dictionary look-up. A copy lives `ttl` seconds (LIST_CACHE_SECONDS,
default 1; 0 turns this off), so a page may show a write up to that much later, per replica. Only
these pages: a product read by id stays exact (Redis, invalidated by every write), and so do
filtered lists and later pages. Keys are the raw query string, so any other spelling of a query
is a miss, never a wrong answer. Bounded: past `max_entries` the oldest copy goes.
"""

from __future__ import annotations

import time


class PageCache:
    def __init__(self, ttl_seconds: float, max_entries: int = 512) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._pages: dict[tuple[str, bytes], tuple[float, bytes]] = {}

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def get(self, route: str, query: bytes) -> bytes | None:
        found = self._pages.get((route, query))
        if found is None:
            return None
        if found[0] < time.monotonic():
            del self._pages[(route, query)]
            return None
        return found[1]

    def put(self, route: str, query: bytes, body: bytes) -> None:
        if not self.enabled:
            return
        if len(self._pages) >= self._max:
            del self._pages[next(iter(self._pages))]  # the oldest inserted
        self._pages[(route, query)] = (time.monotonic() + self._ttl, body)
