from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from app.schemas.common import PG_BIGINT, StrictInput


class OrderLineIn(StrictInput):
    product_id: int = Field(ge=1, le=PG_BIGINT)
    quantity: int = Field(ge=1, le=1000)


class OrderCreate(StrictInput):
    items: list[OrderLineIn] = Field(min_length=1, max_length=50)

    @field_validator("items")
    @classmethod
    def _one_line_per_product(cls, items: list[OrderLineIn]) -> list[OrderLineIn]:
        ids = [line.product_id for line in items]
        if len(set(ids)) != len(ids):
            raise ValueError("each product_id may appear once; add up the quantities instead")
        return items


class OrderLineOut(BaseModel):
    product_id: int
    quantity: int
    unit_price_cents: int


class OrderOut(BaseModel):
    id: int
    status: str
    total_cents: int
    created_at: datetime
    items: list[OrderLineOut]
