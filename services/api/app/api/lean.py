"""LeanRoute: an APIRoute for hot reads that validates its inputs in one pydantic call.

FastAPI solves an endpoint's dependencies and validates each parameter separately on every
request; on the DB-read route that cost more CPU than the query (see scripts/bench-api). A lean
endpoint is declared as usual — its path and query parameters, response model and errors document
the route in OpenAPI unchanged — but may take only the Request and path/query parameters (no
Depends, headers or body): they are validated together by one model built at start-up, with
FastAPI's error shape, and the endpoint does its own rate limiting. (Dependencies added where the
router is included are not run either: include lean routers without any.)
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError, create_model
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        dependant = self.dependant
        unsupported = {
            "dependencies": dependant.dependencies,
            "headers": dependant.header_params,
            "cookies": dependant.cookie_params,
            "body": dependant.body_params,
        }
        if any(unsupported.values()):
            found = ", ".join(name for name, params in unsupported.items() if params)
            raise TypeError(f"lean route {self.path!r} takes only path and query parameters, not {found}")
        declared = [("path", f) for f in dependant.path_params]
        declared += [("query", f) for f in dependant.query_params]
        where = {field.name: source for source, field in declared}
        params_model: type[BaseModel] = create_model(  # type: ignore[call-overload]
            f"{self.name}_params", **{f.name: (f.field_info.annotation, f.field_info) for _, f in declared}
        )
        endpoint: Callable[..., Coroutine[Any, Any, Response]] = self.endpoint
        request_name = dependant.request_param_name

        async def handle(request: Request) -> Response:
            # Query first: a path parameter wins over a query parameter of the same name.
            values = {**request.query_params, **request.path_params}
            try:
                params = params_model.model_validate(values)
            except ValidationError as error:
                raise RequestValidationError(
                    [{**e, "loc": (where[str(e["loc"][0])], *e["loc"])} for e in error.errors()]
                ) from None
            arguments = dict(params.__dict__)
            if request_name:
                arguments[request_name] = request
            return await endpoint(**arguments)

        return handle
