"""Test data, created through the API (never the database) before the users start."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

from load.suite import api


class SeedError(RuntimeError):
    pass


def seed_catalogue(host: str, api_key: str, count: int, budget_s: float = 30.0) -> list[int]:
    """Creates `count` products through POST /api/v1/products; returns their ids."""
    if not host.startswith(("http://", "https://")):
        raise SeedError(f"the target must be an http:// or https:// URL, got {host!r}")
    run = uuid.uuid4().hex[:8]
    ids = []
    deadline = time.monotonic() + budget_s
    for index in range(count):
        if time.monotonic() > deadline:
            raise SeedError(
                f"seeding {count} products took over {budget_s:.0f} s; the target is too slow to load"
            )
        body = json.dumps(api.new_product(f"lt-seed-{run}-{index:04d}")).encode()
        request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
            host.rstrip("/") + api.PRODUCTS,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", api.API_KEY_HEADER: api_key},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                ids.append(api.Product.model_validate_json(response.read()).id)
        except urllib.error.HTTPError as exc:
            raise SeedError(f"POST {api.PRODUCTS} answered HTTP {exc.code}: {exc.read()[:200]!r}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SeedError(f"POST {api.PRODUCTS} to {host} failed: {exc}") from None
    return ids
