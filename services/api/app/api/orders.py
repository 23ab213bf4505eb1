"""/api/v1/orders: placing an order decrements stock, all lines or none, in one statement."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.api.deps import Writer, json_bytes_response, services_of
from app.api.lean import LeanRoute
from app.api.responses import WRITE_ERRORS, errors
from app.schemas.order import OrderCreate, OrderOut
from app.services import orders

router = APIRouter(prefix="/api/v1/orders", tags=["orders"], route_class=LeanRoute)


@router.post(
    "", status_code=201, response_model=OrderOut, responses=WRITE_ERRORS | errors(404), dependencies=[Writer]
)
async def place_order(body: OrderCreate, request: Request) -> Response:
    """All lines or none: 409 `insufficient_stock` (with the available quantity) leaves stock untouched."""
    services = services_of(request)
    order = await orders.place(services.db, body.items)
    # Cached documents carry the stock figure; drop them now that it changed.
    await services.cache.invalidate(*(line.product_id for line in body.items))
    return json_bytes_response(order, 201)
