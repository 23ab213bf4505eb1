"""Cross-cutting pieces: settings, logging, database, Redis, rate limiting, metrics, errors."""
