"""Domain logic over SQLAlchemy Core: products and orders."""
