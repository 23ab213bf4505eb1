from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from app.schemas.common import NO_NUL, PG_INT, StrictInput

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
Description = Annotated[str, Field(max_length=2000, pattern=NO_NUL)]
Category = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")]
PriceCents = Annotated[int, Field(ge=0, le=PG_INT)]
Stock = Annotated[int, Field(ge=0, le=PG_INT)]


class ProductCreate(StrictInput):
    sku: Sku
    name: Name
    description: Description = ""
    category: Category
    price_cents: PriceCents
    stock: Stock


class ProductUpdate(StrictInput):
    """Partial update: only the fields sent change."""

    name: Name | None = None
    description: Description | None = None
    category: Category | None = None
    price_cents: PriceCents | None = None
    stock: Stock | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> ProductUpdate:
        changes = self.model_dump(exclude_unset=True)
        if not changes:
            raise ValueError("send at least one of: name, description, category, price_cents, stock")
        if any(value is None for value in changes.values()):
            raise ValueError("fields cannot be set to null")
        return self


class ProductOut(BaseModel):
    id: int
    sku: str
    name: str
    description: str
    category: str
    price_cents: int
    stock: int
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
