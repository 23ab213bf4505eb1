"""Proves the API image as deployed: built on the local base, read-only, non-root, healthy (e2e)."""
