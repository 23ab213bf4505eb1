"""The reference API as the load suites see it: route templates, request bodies, response shapes.

Responses are parsed with pydantic (its Rust core keeps validation cheap on the generator), so a
200 with a wrong body counts as a failure. Only this module knows the API's wire format.
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict

PRODUCTS = "/api/v1/products"
PRODUCT = "/api/v1/products/{product_id}"
SEARCH = "/api/v1/products/search"
ORDERS = "/api/v1/orders"
READY = "/health/ready"
API_KEY_HEADER = "X-API-Key"

CATEGORIES = ("books", "garden", "kitchen", "toys", "tools")
WORDS = ("steel", "oak", "linen", "copper", "glass", "wool", "cedar", "slate")
# Whole request targets, built once: nothing to encode per request.
FIRST_PAGE = f"{PRODUCTS}?limit=20"
SEARCHES = tuple(f"{SEARCH}?q={word}" for word in WORDS)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ErrorBody(_Body):
    error: str
    message: str
    detail: object = None


def error_summary(content: bytes | None) -> str:
    """': code: message (detail)' of the API's error body, for failure reports; '' if it is not one."""
    try:
        body = ErrorBody.model_validate_json(content or b"")
    except ValueError:
        return ""
    return f": {body.error}: {body.message} {str(body.detail)[:200] if body.detail else ''}".rstrip()


class Product(_Body):
    id: int
    sku: str
    name: str
    category: str
    price_cents: int
    stock: int


class ProductPage(_Body):
    items: list[Product]
    next_cursor: str | None = None


class Order(_Body):
    id: int
    total_cents: int


def new_product(sku: str) -> dict[str, object]:
    return {
        "sku": sku,
        "name": f"{random.choice(WORDS)} {random.choice(WORDS)} {sku[-6:]}",
        "description": "load-test product",
        "category": random.choice(CATEGORIES),
        "price_cents": random.randint(100, 50_000),
        # Plenty of stock, so orders never fail for want of it during a run (409 insufficient_stock).
        "stock": 1_000_000,
    }


def product_update() -> dict[str, object]:
    return {"price_cents": random.randint(100, 50_000)}


def new_order(product_ids: list[int]) -> dict[str, object]:
    chosen = random.sample(product_ids, k=min(len(product_ids), random.randint(1, 3)))
    return {"items": [{"product_id": pid, "quantity": random.randint(1, 3)} for pid in chosen]}


def filter_params() -> dict[str, str]:
    low = random.randint(0, 20_000)
    return {
        "category": random.choice(CATEGORIES),
        "min_price_cents": str(low),
        "max_price_cents": str(low + 20_000),
    }
