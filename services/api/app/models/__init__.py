"""SQLAlchemy models; `Base.metadata` is what Alembic migrates."""

from app.models.base import Base
from app.models.order import Order, OrderItem
from app.models.product import Product

__all__ = ["Base", "Order", "OrderItem", "Product"]
