"""Micro-benchmark behind the JSON encoder choice: one 20-item product page, serialised by
orjson from row dicts (what the hot routes do) or validated and dumped by pydantic (FastAPI's
response_model path)."""

from __future__ import annotations

import timeit
from datetime import UTC, datetime

import orjson
from app.schemas.product import ProductPage


def sample_page() -> dict[str, object]:
    now = datetime.now(UTC)
    items = [
        {
            "id": i,
            "sku": f"sku-{i}",
            "name": f"Product {i}",
            "description": "A fine thing " * 4,
            "category": "bench",
            "price_cents": 1000 + i,
            "stock": 100,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(20)
    ]
    return {"items": items, "next_cursor": "aWQ6MjA"}


def encoder_microseconds(repeat: int = 2000) -> dict[str, float]:
    page = sample_page()
    timings = {
        "orjson": lambda: orjson.dumps(page),
        "pydantic_validate_dump": lambda: ProductPage.model_validate(page).model_dump_json(),
    }
    return {
        name: min(timeit.repeat(fn, number=repeat, repeat=3)) / repeat * 1e6 for name, fn in timings.items()
    }
