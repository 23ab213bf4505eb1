"""The reference API: a small shop catalogue shaped like a production service."""

__version__ = "1.0.0"
