"""LeanRoute: an APIRoute that validates its inputs in one pydantic call per source.

FastAPI solves an endpoint's dependencies and validates each parameter separately on every
request; on the DB-read route that cost more CPU than the query, and on the writes more than their
statement (see scripts/bench-api). A lean endpoint is declared as usual — its path and query
parameters, JSON body, dependencies, response model and errors document the route in OpenAPI
unchanged — but:

- its path and query parameters are validated together by one model built at start-up, its body
  (one pydantic model) straight from the request's bytes (`model_validate_json`), with FastAPI's
  error shape and locations (`path`, `query`, `body`);
- each of its dependencies must have a lean form (`lean_form`): a coroutine of the Request alone
  doing the same check, run in the declared order before the inputs are validated, as FastAPI
  would (so a write's 429 and 401 come before its 422). Dependencies added where the router is
  included are not run: include lean routers without any;
- it may take the Request, path and query parameters and that body; no headers or cookies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError, create_model
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
LeanCheck = Callable[[Request], Awaitable[None]]

_LEAN_FORMS: dict[Callable[..., Any], LeanCheck] = {}


def lean_form(dependency: Callable[..., Any]) -> Callable[[LeanCheck], LeanCheck]:
    """Registers the decorated coroutine as what lean routes run for `dependency`."""

    def register(check: LeanCheck) -> LeanCheck:
        _LEAN_FORMS[dependency] = check
        return check

    return register


def _located(error: ValidationError, where: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> list[Any]:
    return [{**e, "loc": where(tuple(e["loc"]))} for e in error.errors()]


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        dependant = self.dependant
        unsupported = {"headers": dependant.header_params, "cookies": dependant.cookie_params}
        if len(dependant.body_params) > 1:
            unsupported["more than one body"] = dependant.body_params
        if any(unsupported.values()):
            found = ", ".join(name for name, params in unsupported.items() if params)
            raise TypeError(
                f"lean route {self.path!r} takes only path and query parameters and a body, not {found}"
            )
        checks = []
        for sub in dependant.dependencies:
            check = _LEAN_FORMS.get(sub.call) if sub.call else None
            if check is None:
                raise TypeError(f"lean route {self.path!r}: dependency {sub.call!r} has no lean_form")
            checks.append(check)
        declared = [("path", f) for f in dependant.path_params]
        declared += [("query", f) for f in dependant.query_params]
        where = {field.name: source for source, field in declared}
        params_model: type[BaseModel] = create_model(  # type: ignore[call-overload]
            f"{self.name}_params", **{f.name: (f.field_info.annotation, f.field_info) for _, f in declared}
        )
        body_name, body_model = None, None
        if dependant.body_params:
            body_name = dependant.body_params[0].name
            body_model = dependant.body_params[0].field_info.annotation
            if not (isinstance(body_model, type) and issubclass(body_model, BaseModel)):
                raise TypeError(f"lean route {self.path!r}: its body must be one pydantic model")
        endpoint: Callable[..., Coroutine[Any, Any, Response]] = self.endpoint
        request_name = dependant.request_param_name

        async def handle(request: Request) -> Response:
            for check in checks:
                await check(request)
            # Query first: a path parameter wins over a query parameter of the same name.
            values = {**request.query_params, **request.path_params}
            errors: list[Any] = []
            arguments: dict[str, Any] = {}
            try:
                arguments.update(params_model.model_validate(values).__dict__)
            except ValidationError as error:
                errors += _located(error, lambda loc: (where[str(loc[0])], *loc))
            if body_model is not None:
                raw = await request.body()
                if not raw:
                    errors.append(
                        {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
                    )
                else:
                    try:
                        arguments[str(body_name)] = body_model.model_validate_json(raw)
                    except ValidationError as error:
                        errors += _located(error, lambda loc: ("body", *loc))
            if errors:
                raise RequestValidationError(errors)
            if request_name:
                arguments[request_name] = request
            return await endpoint(**arguments)

        return handle
