"""Runs the API as a real `python -m app` process against given Postgres/Redis (tests, benchmark)."""
