from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# PostgreSQL text cannot hold NUL; saying so in the schema keeps clients (and fuzzers) honest.
NO_NUL = r"^[^\x00]*$"
PG_INT = 2_147_483_647
PG_BIGINT = 9_223_372_036_854_775_807

Text = Annotated[str, Field(pattern=NO_NUL)]


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorBody(BaseModel):
    """Every error response has this shape."""

    error: str = Field(description="stable machine-readable code, e.g. not_found, validation_error")
    message: str
    detail: Any | None = None


class RateLimitBody(BaseModel):
    error: str = "rate_limited"
    message: str
    limit: int
    window: int = Field(description="window length in seconds")
    retry_after: int = Field(description="seconds to wait before retrying")
