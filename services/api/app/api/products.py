"""/api/v1/products: public reads (cache-aside by id; the hottest pages briefly kept in process),
writes behind the API key. Every route is a LeanRoute (app/api/lean.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from app.api.deps import Writer, json_bytes_response, limit_request, services_of
from app.api.lean import LeanRoute
from app.api.responses import READ_ERRORS, WRITE_ERRORS, errors
from app.core.cache import product_key
from app.schemas.common import NO_NUL, PG_BIGINT, PG_INT
from app.schemas.product import Category, ProductCreate, ProductOut, ProductPage, ProductUpdate
from app.services import products

# /search is declared before /{product_id}, which would match it too.
router = APIRouter(prefix="/api/v1/products", tags=["products"], route_class=LeanRoute)

ProductId = Annotated[int, Path(ge=1, le=PG_BIGINT, description="product id")]
PageSize = Annotated[int, Query(ge=1, le=100, description="items per page")]
Cents = Annotated[int | None, Query(ge=0, le=PG_INT)]


@router.get("", response_model=ProductPage, responses=READ_ERRORS)
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
    first_page = cursor is None and category is None and min_price_cents is None and max_price_cents is None
    query = request.scope["query_string"]
    if first_page and (page := services.pages.get("list", query)) is not None:
        return json_bytes_response(page)
    filters = products.ListFilter(category, min_price_cents, max_price_cents)
    body = await products.list_page(services.db, filters, limit, cursor)
    if first_page:
        services.pages.put("list", query, body)
    return json_bytes_response(body)


@router.get("/search", response_model=ProductPage, responses=READ_ERRORS)
async def search_products(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100, pattern=NO_NUL, description="part of a name")],
    limit: PageSize = 20,
) -> Response:
    """Products whose name contains `q` (case-insensitive), best trigram match first."""
    services = services_of(request)
    await limit_request(request, services, "read")
    query = request.scope["query_string"]
    if (page := services.pages.get("search", query)) is not None:
        return json_bytes_response(page)
    body = await products.search(services.db, q, limit)
    services.pages.put("search", query, body)
    return json_bytes_response(body)


@router.get("/{product_id}", response_model=ProductOut, responses=READ_ERRORS | errors(404))
async def get_product(product_id: ProductId, request: Request) -> Response:
    """One product; served from Redis when cached (the rate-limit check and cache read share a round trip)."""
    services = services_of(request)
    decision = await limit_request(request, services, "read", product_key(product_id))
    services.cache.record(hit=decision.cached is not None)
    if decision.cached is not None:
        return json_bytes_response(decision.cached)
    document = await products.get(services.db, product_id)
    await services.cache.fill(product_id, document)
    return json_bytes_response(document)


@router.post("", status_code=201, response_model=ProductOut, responses=WRITE_ERRORS, dependencies=[Writer])
async def create_product(body: ProductCreate, request: Request) -> Response:
    created = await products.create(services_of(request).db, body.model_dump())
    return json_bytes_response(created, 201)


@router.patch(
    "/{product_id}", response_model=ProductOut, responses=WRITE_ERRORS | errors(404), dependencies=[Writer]
)
async def update_product(product_id: ProductId, body: ProductUpdate, request: Request) -> Response:
    """Changes only the fields sent."""
    services = services_of(request)
    updated = await products.update_fields(services.db, product_id, body.model_dump(exclude_unset=True))
    await services.cache.invalidate(product_id)
    return json_bytes_response(updated)


@router.delete("/{product_id}", status_code=204, responses=WRITE_ERRORS | errors(404), dependencies=[Writer])
async def delete_product(product_id: ProductId, request: Request) -> Response:
    services = services_of(request)
    await products.remove(services.db, product_id)
    await services.cache.invalidate(product_id)
    return Response(status_code=204)
