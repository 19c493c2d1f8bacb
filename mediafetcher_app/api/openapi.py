"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document, made from the mounted routes themselves.

Every /api/v1 route is an ``ApiRoute`` carrying its ``Operation`` (routing.py): this module only
reads them, so nothing is mounted undocumented or documented unmounted, and the scopes it lists
are the ones enforced. The document is public: it describes the API's shape, as the source does,
and holds no data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from mediafetcher_app import __version__
from mediafetcher_app.core.auth import SESSION_COOKIE
from mediafetcher_app.core.media_queries import MAX_ID

from .routing import ApiRoute, Operation, adapter, api_route
from .schemas import Error

PREFIX = "/api/v1/"
REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
ERRORS = {
    400: "The request cannot be used (a body, parameter or value); the message says which part.",
    401: "No valid session or API token.",
    403: "The credential lacks the scope, or the user the role or ownership, this needs.",
    404: "Nothing with that id (or not yours to see).",
    409: "Conflicts with what exists (a name taken, a state that does not allow it).",
    410: "Expired.",
    413: "The body is larger than this route accepts.",
}
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (mft_...): Settings > API tokens, `cli token`, pairing, or POST /api/v1/tokens.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The web UI's session (writes must come from the app's own origin); carries every scope.",
    },
}


class _Builder:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def schema(self, kind: Any, mode: str) -> dict[str, Any]:
        """A type's JSON Schema, named types as a $ref into components (a dict is a schema already)."""
        if isinstance(kind, dict):
            return kind
        schema = adapter(kind).json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
        self.schemas.update(schema.pop("$defs", {}))
        if not isinstance(kind, type):
            return schema
        self.schemas[kind.__name__] = schema
        return {"$ref": REF.format(model=kind.__name__)}

    def body(self, operation: Operation) -> dict[str, Any]:
        if isinstance(operation.body, dict):
            return {"required": True, "content": operation.body}
        return {
            "required": True,
            "content": {"application/json": {"schema": self.schema(operation.body, "validation")}},
        }

    def responses(self, operation: Operation, has_path_ids: bool) -> dict[str, Any]:
        ok: dict[str, Any] = {"description": operation.summary}
        if operation.response is not None:
            ok["content"] = {"application/json": {"schema": self.schema(operation.response, "serialization")}}
        errors = set(operation.errors)
        if operation.body is not None or operation.query or has_path_ids:
            errors.add(400)
        if not operation.public:
            errors |= {401, 403}
        if has_path_ids:
            errors.add(404)
        error_body = {"application/json": {"schema": self.schema(Error, "serialization")}}
        answers = {str(operation.success): ok}
        answers.update({str(code): {"description": ERRORS[code], "content": error_body} for code in sorted(errors)})
        return answers

    def operation(self, route: ApiRoute) -> dict[str, Any]:
        operation = route.operation
        names = _PATH_PARAM.findall(route.path)
        parameters = [{"name": name, "in": "path", "required": True, "schema": _path_schema(name)} for name in names]
        parameters += [
            {"name": q.name, "in": "query", "required": False, "schema": q.schema, "description": q.description}
            for q in operation.query
        ]
        notes = [operation.description]
        if operation.scope:
            notes.append(f"Token scope: `{operation.scope}`.")
        if operation.admin:
            notes.append("Administrators only.")
        found: dict[str, Any] = {
            "operationId": route.name,
            "summary": operation.summary,
            "description": " ".join(note for note in notes if note),
            "tags": [route.path.removeprefix(PREFIX).split("/")[0]],
            "parameters": parameters,
            "responses": self.responses(operation, any(name.endswith("_id") for name in names)),
        }
        scopes = [operation.scope] if operation.scope else []
        found["security"] = [] if operation.public else [{"bearer": scopes}, {"session": []}]
        if operation.scope:
            found["x-required-scope"] = operation.scope
        if operation.body is not None:
            found["requestBody"] = self.body(operation)
        return found


def _path_schema(name: str) -> dict[str, Any]:
    """Ids are PostgreSQL integers (handlers.path_id); other path values are text."""
    if name.endswith("_id"):
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return {"type": "string"}


def document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every ``ApiRoute`` under /api/v1 in ``routes``."""
    builder = _Builder()
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, ApiRoute) and route.path.startswith(PREFIX):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                paths.setdefault(route.path, {})[method.lower()] = builder.operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MediaFetcher API",
            "version": __version__,
            "description": 'Errors are {"error": {"code", "message"}} with a 4xx/5xx status.',
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(builder.schemas.items())), "securitySchemes": SECURITY_SCHEMES},
    }


def openapi_route(routes: Sequence[BaseRoute]) -> ApiRoute:
    """The route serving ``document(routes)``; ``routes`` is the app's own list, this route included."""
    made: list[dict[str, Any]] = []

    async def openapi_document(_request: Request) -> JSONResponse:
        if not made:
            made.append(document(routes))
        return JSONResponse(made[0])

    return api_route(
        "GET",
        "/api/v1/openapi.json",
        openapi_document,
        Operation("This document (OpenAPI 3.1)", public=True, response={"type": "object"}),
    )
