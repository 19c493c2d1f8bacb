"""The API's route table: every /api/v1 route is declared once, with what the OpenAPI document says.

``api_route`` gives Starlette its Route and openapi.py its operation from the same declaration,
and the scope it names is the one enforced (``handlers.in_db`` checks it on every call), so the
document cannot drift from what is mounted or from what a token needs. Bodies and answers are
pydantic types: the same type validates a body (``validated``) or shapes an answer (``answer``)
and gives its JSON Schema to the document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mediafetcher_app.core.errors import InvalidInput

T = TypeVar("T")
REQUIRED_SCOPE = "mf.required_scope"  # where the route leaves its scope for handlers.in_db


@dataclass(frozen=True)
class Query:
    """One query-string parameter, as documented (the handler reads and checks it)."""

    name: str
    schema: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class Operation:
    """What the document says about one route, and the token scope it needs.

    ``body`` is a type for a JSON body, or a ready content map (media type to schema) for routes
    that take other bodies; ``response`` the type of a JSON answer, None for an empty one.
    """

    summary: str
    scope: str | None = None
    admin: bool = False
    public: bool = False
    body: Any = None
    query: tuple[Query, ...] = ()
    response: Any = None
    status: int | None = None  # default: 200 with a response, 204 without
    errors: tuple[int, ...] = ()
    description: str = ""

    @property
    def success(self) -> int:
        return self.status or (200 if self.response is not None else 204)


class ApiRoute(Route):
    """A Starlette route that carries its ``Operation``."""

    operation: Operation


Endpoint = Callable[[Request], Awaitable[Response]]


def api_route(method: str, path: str, endpoint: Endpoint, operation: Operation) -> ApiRoute:
    async def scoped(request: Request) -> Response:
        request.scope[REQUIRED_SCOPE] = operation.scope
        return await endpoint(request)

    scoped.__name__ = scoped.__qualname__ = endpoint.__name__
    scoped.__doc__ = endpoint.__doc__
    route = ApiRoute(path, scoped, methods=[method])
    route.operation = operation
    return route


@cache
def adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def validated(kind: type[T], raw: Any) -> T:
    """``raw`` (a parsed JSON body) as ``kind``, or an InvalidInput naming the first wrong field."""
    try:
        return adapter(kind).validate_python(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidInput(f"The request body is not right: {where}: {first['msg']}.", code="invalid_body") from None


def answer(kind: Any, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """``value`` as ``kind``, the documented answer type: checked against it, then serialised (an
    answer that strays from its schema fails here, in the tests, not in a client)."""
    shaped = adapter(kind).validate_python(value, from_attributes=True)
    return JSONResponse(adapter(kind).dump_python(shaped, mode="json"), status_code=status, headers=headers)
