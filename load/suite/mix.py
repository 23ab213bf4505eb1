"""The traffic mix, in one place: reads 50, writes 30, search and filters 20 (weights per action).

`load.suite.scenarios.ApiUser` turns it into Locust's task weights; scripts/bench-stack weighs its
per-route figures with it, so "a mixed request" means the same in both.
"""

from __future__ import annotations

MIX: dict[str, int] = {
    "list": 25,  # GET /api/v1/products?limit=20
    "get": 25,  # GET /api/v1/products/{id}
    "create": 9,
    "update": 9,
    "delete": 2,
    "order": 10,
    "search": 12,  # GET /api/v1/products/search?q=<word>
    "filter": 8,  # GET /api/v1/products?category=&min_price_cents=&max_price_cents=
}
