"""Throw-away servers on loopback for tests and benchmarks: PostgreSQL, Redis and the API process."""
