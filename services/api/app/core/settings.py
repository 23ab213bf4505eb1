"""All configuration, from environment variables, validated once at start-up.

A bad or missing value stops the process with a message naming the environment variable; weak
development defaults are refused when ENVIRONMENT=production.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

# The development key is public knowledge by design; production refuses its hash.
DEV_API_KEY = "dev-api-key"
DEV_API_KEY_HASH = hashlib.sha256(DEV_API_KEY.encode()).hexdigest()
WEAK_PASSWORDS = frozenset({"", "postgres", "password", "changeme", "secret", "redis", "app"})
SECRET_VARIABLES = frozenset({"DATABASE_URL", "REDIS_URL"})
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class SettingsError(RuntimeError):
    """Configuration is invalid; the message names each offending environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    database_url: str
    redis_url: str
    api_key_hashes: Annotated[list[str], NoDecode] = Field(default_factory=lambda: [DEV_API_KEY_HASH])
    replica_id: str = Field(default_factory=socket.gethostname, min_length=1, max_length=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = True

    host: str = "0.0.0.0"  # noqa: S104 - the container's port is the service's interface
    port: int = Field(default=8000, ge=1, le=65535)
    web_concurrency: int = Field(default=1, ge=1, le=64)
    shutdown_grace_seconds: float = Field(default=20.0, gt=0, le=300)
    # After SIGTERM: not ready, yet serving, this long (app/core/drain.py); 0: shut down at once.
    drain_seconds: float = Field(default=0.0, ge=0, le=120)
    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = Field(default_factory=list)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)

    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    db_statement_timeout_ms: int = Field(default=5000, ge=100, le=600_000)
    redis_max_connections: int = Field(default=100, ge=1, le=10_000)
    redis_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    health_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    migrate_on_startup: bool = True

    rate_limit_enabled: bool = True
    rate_limit_window_seconds: int = Field(default=60, ge=1, le=86_400)
    rate_limit_read_limit: int = Field(default=600, ge=1, le=100_000_000)
    rate_limit_write_limit: int = Field(default=120, ge=1, le=100_000_000)
    cache_ttl_seconds: int = Field(default=60, ge=1, le=86_400)
    # The first list page and search results, kept in each process (app/core/pagecache.py); 0: off.
    list_cache_seconds: float = Field(default=1.0, ge=0, le=60)

    prometheus_multiproc_dir: str | None = None

    @field_validator("api_key_hashes", "cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("api_key_hashes")
    @classmethod
    def _sha256_hex(cls, hashes: list[str]) -> list[str]:
        normalised = [h.lower() for h in hashes]
        bad = [h for h in normalised if not SHA256_HEX.match(h)]
        if bad:
            raise ValueError(f"each entry must be a SHA-256 digest: 64 hex characters ({len(bad)} are not)")
        if not normalised:
            raise ValueError("at least one key hash is required")
        return normalised

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str) -> str:
        url = make_url(value)
        if url.drivername != "postgresql+asyncpg" or not url.host or not url.database:
            raise ValueError("must look like postgresql+asyncpg://USER:PASS@HOST:PORT/DB")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://")):
            raise ValueError("must look like redis://:PASS@HOST:6379/0")
        return value

    @model_validator(mode="after")
    def _no_weak_secrets_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if DEV_API_KEY_HASH in self.api_key_hashes:
            problems.append("API_KEY_HASHES: contains the hash of the public development key")
        if (make_url(self.database_url).password or "") in WEAK_PASSWORDS:
            problems.append("DATABASE_URL: the password is empty or a well-known default")
        redis_password = self.redis_url.split("@", 1)[0].rsplit(":", 1)[-1] if "@" in self.redis_url else ""
        if redis_password in WEAK_PASSWORDS:
            problems.append("REDIS_URL: the password is empty or a well-known default")
        if problems:
            raise ValueError("weak secrets refused with ENVIRONMENT=production: " + "; ".join(problems))
        return self

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(self.trusted_proxies)


def describe_errors(error: ValidationError) -> str:
    """One line per problem, naming the environment variable rather than the Python field."""
    lines = []
    for item in error.errors():
        field = str(item["loc"][0]).upper() if item["loc"] else ""
        message = item["msg"].removeprefix("Value error, ")
        # Echo the bad value only where it cannot be a secret.
        echo = field and field not in SECRET_VARIABLES and item["type"] != "missing"
        lines.append(f"{field or 'settings'}: {message}" + (f" (got {item.get('input')!r})" if echo else ""))
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings() -> Settings:
    try:
        return Settings()  # type: ignore[call-arg]  # values come from the environment
    except ValidationError as error:
        raise SettingsError(describe_errors(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
