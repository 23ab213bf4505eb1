"""Schemathesis against the running API: for generated requests, no 5xx, and every response
(status, content type, body) conforms to the OpenAPI schema the app publishes.

The schema is built in-process at import (schemathesis' lazy fixture loader does not work with
pytest 9); the first test proves it is the document the running server serves.
"""

from __future__ import annotations

import httpx
import schemathesis
from app.core.settings import Settings
from app.main import create_app
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kit.local.api import TEST_API_KEY, ApiProcess

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPENAPI = create_app(
    Settings(database_url="postgresql+asyncpg://u:p@localhost/db", redis_url="redis://:p@localhost:6379/0")
).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)


def test_served_schema_is_the_one_under_test(api: ApiProcess) -> None:
    assert httpx.get(f"{api.url}/openapi.json").json() == OPENAPI


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case, api: ApiProcess) -> None:
    case.call_and_validate(base_url=api.url, headers={"X-API-Key": TEST_API_KEY}, checks=CHECKS)
