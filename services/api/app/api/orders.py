"""/api/v1/orders: placing an order decrements stock in one transaction."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from app.api.deps import Services, Writer, json_response
from app.api.responses import WRITE_ERRORS, errors
from app.schemas.order import OrderCreate, OrderOut
from app.services import orders

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


@router.post(
    "", status_code=201, response_model=OrderOut, responses=WRITE_ERRORS | errors(404), dependencies=[Writer]
)
async def place_order(body: OrderCreate, services: Services) -> Response:
    """All lines or none: 409 `insufficient_stock` (with the available quantity) leaves stock untouched."""
    async with services.engine.begin() as conn:
        order = await orders.place(conn, body.items)
    # Cached documents carry the stock figure; drop them now that it changed.
    await services.cache.invalidate(*(line.product_id for line in body.items))
    return json_response(order, 201)
