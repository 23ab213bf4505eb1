"""/api/v1/products: public reads (cache-aside by id), writes behind the API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from app.api.deps import (
    ReadLimited,
    Services,
    Writer,
    json_bytes_response,
    limit_request,
    services_of,
)
from app.api.lean import LeanRoute
from app.api.responses import READ_ERRORS, WRITE_ERRORS, errors
from app.core.cache import product_key
from app.schemas.common import NO_NUL, PG_BIGINT, PG_INT
from app.schemas.product import Category, ProductCreate, ProductOut, ProductPage, ProductUpdate
from app.services import products

router = APIRouter(prefix="/api/v1/products", tags=["products"])
# The hot reads (list, get by id), included after `router`: /{product_id} would also match /search.
hot_reads = APIRouter(prefix="/api/v1/products", tags=["products"], route_class=LeanRoute)

ProductId = Annotated[int, Path(ge=1, le=PG_BIGINT, description="product id")]
PageSize = Annotated[int, Query(ge=1, le=100, description="items per page")]
Cents = Annotated[int | None, Query(ge=0, le=PG_INT)]


@hot_reads.get("", response_model=ProductPage, responses=READ_ERRORS)
async def list_products(
    request: Request,
    limit: PageSize = 20,
    cursor: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = None,
    category: Annotated[Category | None, Query()] = None,
    min_price_cents: Cents = None,
    max_price_cents: Cents = None,
) -> Response:
    """Products in id order, keyset-paginated: follow `next_cursor` until it is null."""
    services = services_of(request)
    await limit_request(request, services, "read")
    filters = products.ListFilter(category, min_price_cents, max_price_cents)
    return json_bytes_response(await products.list_page(services.engine, filters, limit, cursor))


@router.get("/search", response_model=ProductPage, responses=READ_ERRORS, dependencies=[ReadLimited])
async def search_products(
    services: Services,
    q: Annotated[str, Query(min_length=1, max_length=100, pattern=NO_NUL, description="part of a name")],
    limit: PageSize = 20,
) -> Response:
    """Products whose name contains `q` (case-insensitive), best trigram match first."""
    return json_bytes_response(await products.search(services.engine, q, limit))


@hot_reads.get("/{product_id}", response_model=ProductOut, responses=READ_ERRORS | errors(404))
async def get_product(product_id: ProductId, request: Request) -> Response:
    """One product; served from Redis when cached (the rate-limit check and cache read share a round trip)."""
    services = services_of(request)
    decision = await limit_request(request, services, "read", product_key(product_id))
    services.cache.record(hit=decision.cached is not None)
    if decision.cached is not None:
        return json_bytes_response(decision.cached)
    document = await products.get(services.engine, product_id)
    await services.cache.fill(product_id, document)
    return json_bytes_response(document)


@router.post("", status_code=201, response_model=ProductOut, responses=WRITE_ERRORS, dependencies=[Writer])
async def create_product(body: ProductCreate, services: Services) -> Response:
    async with services.engine.begin() as conn:
        created = await products.create(conn, body.model_dump())
    return json_bytes_response(created, 201)


@router.patch(
    "/{product_id}", response_model=ProductOut, responses=WRITE_ERRORS | errors(404), dependencies=[Writer]
)
async def update_product(product_id: ProductId, body: ProductUpdate, services: Services) -> Response:
    """Changes only the fields sent."""
    async with services.engine.begin() as conn:
        updated = await products.update_fields(conn, product_id, body.model_dump(exclude_unset=True))
    await services.cache.invalidate(product_id)
    return json_bytes_response(updated)


@router.delete("/{product_id}", status_code=204, responses=WRITE_ERRORS | errors(404), dependencies=[Writer])
async def delete_product(product_id: ProductId, services: Services) -> Response:
    async with services.engine.begin() as conn:
        await products.remove(conn, product_id)
    await services.cache.invalidate(product_id)
    return Response(status_code=204)
