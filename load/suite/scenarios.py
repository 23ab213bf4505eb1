"""The API's traffic as Locust tasks: ~50% reads, ~30% writes, ~20% search and filters.

Weights live in `load.suite.mix` only. Requests are named by route template, so the stats group
`/api/v1/products/42` and `/api/v1/products/43` together. Every response is validated.
"""

from __future__ import annotations

import os
import random
import uuid
from typing import TypeVar
from urllib.parse import urlencode

from locust import FastHttpUser, constant_throughput
from pydantic import BaseModel, ValidationError

from load.suite import api
from load.suite.client import ApiClient, Exchange
from load.suite.mix import MIX
from load.suite.profiles import get_profile

Body = TypeVar("Body", bound=BaseModel)

# Product ids this process has seen in lists (or seeded); shared by its users, read-only.
KNOWN_PRODUCTS: list[int] = []
_MAX_KNOWN = 2_000
# Products this process seeded: plenty of stock and never deleted, so orders on them always succeed
# (an order on another client's product could meet a 409 for stock or a concurrent delete).
ORDERABLE_PRODUCTS: list[int] = []


def remember(product_ids: list[int]) -> None:
    KNOWN_PRODUCTS.extend(product_ids)
    if len(KNOWN_PRODUCTS) > _MAX_KNOWN:
        del KNOWN_PRODUCTS[: len(KNOWN_PRODUCTS) - _MAX_KNOWN]


def fail(response: Exchange, reason: str) -> None:
    response.failure(reason)


def validated(response: Exchange, status: int, shape: type[Body]) -> Body | None:
    """The parsed body, or None after marking the request failed (wrong status or body)."""
    if response.status_code != status:
        fail(
            response,
            f"expected HTTP {status}, got {response.status_code}{api.error_summary(response.content)}",
        )
        return None
    try:
        return shape.model_validate_json(response.content or b"")
    except ValidationError as exc:
        fail(response, f"body is not a valid {shape.__name__}: {exc.errors()[0]['msg']}")
        return None


class ApiActions(FastHttpUser):
    """What a client of the API does. The host comes from --host; the write key from PG_API_KEY."""

    abstract = True

    def on_start(self) -> None:
        self.auth = {api.API_KEY_HEADER: os.environ.get("PG_API_KEY", "")}
        self.own_products: list[int] = []  # created by this user, never ordered: safe to update and delete
        # The API sets no cookies: without a jar, no request pays for looking one up or storing one.
        self.client.client.cookiejar = None
        # Requests go through this user's HTTP client without FastHttpSession's layers (client.py).
        self.api = ApiClient(self)

    def _known_product(self) -> int | None:
        if not KNOWN_PRODUCTS:
            self.list_products()
        return random.choice(KNOWN_PRODUCTS) if KNOWN_PRODUCTS else None

    def list_products(self) -> None:
        with self.api.get(api.FIRST_PAGE, name=api.PRODUCTS) as response:
            if page := validated(response, 200, api.ProductPage):
                remember([item.id for item in page.items])

    def get_product(self) -> None:
        if (product_id := self._known_product()) is None:
            return
        with self.api.get(f"{api.PRODUCTS}/{product_id}", name=api.PRODUCT) as response:
            product = validated(response, 200, api.Product)
            if product and product.id != product_id:
                fail(response, f"asked for product {product_id}, got {product.id}")

    def search_products(self) -> None:
        with self.api.get(random.choice(api.SEARCHES), name=api.SEARCH) as response:
            validated(response, 200, api.ProductPage)

    def filter_products(self) -> None:
        params = api.filter_params()
        with self.api.get(
            f"{api.PRODUCTS}?{urlencode(params)}", name=f"{api.PRODUCTS} (filtered)"
        ) as response:
            page = validated(response, 200, api.ProductPage)
            if page and any(item.category != params["category"] for item in page.items):
                fail(response, f"filter category={params['category']} returned other categories")

    def create_product(self) -> None:
        body = api.new_product(f"lt-{uuid.uuid4().hex[:16]}")
        with self.api.post(api.PRODUCTS, json_body=body, headers=self.auth, name=api.PRODUCTS) as response:
            if product := validated(response, 201, api.Product):
                self.own_products.append(product.id)

    def update_product(self) -> None:
        if not self.own_products:
            self.create_product()
            return
        product_id = random.choice(self.own_products)
        with self.api.patch(
            f"{api.PRODUCTS}/{product_id}",
            json_body=api.product_update(),
            headers=self.auth,
            name=api.PRODUCT,
        ) as response:
            validated(response, 200, api.Product)

    def delete_product(self) -> None:
        if not self.own_products:
            return
        product_id = self.own_products.pop()
        with self.api.delete(f"{api.PRODUCTS}/{product_id}", headers=self.auth, name=api.PRODUCT) as response:
            if response.status_code != 204:
                fail(
                    response,
                    f"expected HTTP 204, got {response.status_code}{api.error_summary(response.content)}",
                )

    def create_order(self) -> None:
        if not ORDERABLE_PRODUCTS:
            return
        with self.api.post(
            api.ORDERS, json_body=api.new_order(ORDERABLE_PRODUCTS), headers=self.auth, name=api.ORDERS
        ) as response:
            validated(response, 201, api.Order)


class ApiUser(ApiActions):
    # Each user paces itself, so offered load is users x per-user rate (see load.suite.profiles).
    wait_time = constant_throughput(get_profile(os.environ.get("PG_LOAD_PROFILE", "smoke")).per_user_rps)
    # The traffic mix lives in load.suite.mix; Locust documents the {task: weight} form, and its
    # annotation names only the list it turns that into.
    tasks = {  # type: ignore[assignment]  # noqa: RUF012
        ApiActions.list_products: MIX["list"],
        ApiActions.get_product: MIX["get"],
        ApiActions.create_product: MIX["create"],
        ApiActions.update_product: MIX["update"],
        ApiActions.delete_product: MIX["delete"],
        ApiActions.create_order: MIX["order"],
        ApiActions.search_products: MIX["search"],
        ApiActions.filter_products: MIX["filter"],
    }
