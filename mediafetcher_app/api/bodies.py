"""Request bodies: a size limit per route, enforced before anything reads them, and safe JSON.

``BodyLimit`` runs in front of every route, before authentication: a declared ``Content-Length``
over the route's limit is refused without reading a byte, and a body sent without one (chunked)
is counted as it streams in, so nobody can make the app buffer more than the limit, signed in or
not. Routes then read their body with Starlette as usual (``json_object`` for JSON).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediafetcher_app.core import json_input
from mediafetcher_app.core.errors import DomainError, InvalidInput
from mediafetcher_app.core.sizes import human_bytes

from .errors import error_response

KB, MB = 1024, 1024 * 1024
# JSON and forms: a URL, a sign-in, a pairing code. Generous, and still nothing to fill memory with.
DEFAULT_LIMIT = 64 * KB
# A browser's whole cookie store is a few hundred KB.
ROUTE_LIMITS = {"/api/v1/cookies": 4 * MB}


class PayloadTooLarge(DomainError):
    code, status = "too_large", 413


def limit_for(path: str) -> int:
    return ROUTE_LIMITS.get(path.rstrip("/") or "/", DEFAULT_LIMIT)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {human_bytes(limit)}, the most this address accepts.")


class BodyLimit:
    """ASGI middleware: refuse a body over its route's limit, declared or streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            refusal = _too_large(limit)
            await error_response(refusal.status, refusal.code, refusal.message)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)


def _parse_json(raw: bytes | str) -> Any:
    """The body's JSON; every way it can be wrong is an InvalidInput naming the problem (a 400)."""
    try:
        return json_input.loads(raw)
    except json_input.TooDeep as exc:
        raise InvalidInput(f"The request body is {exc}.", code="invalid_json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"The request body is not valid JSON: {exc}.", code="invalid_json") from None


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (an empty body is ``{}``)."""
    body = _parse_json(await request.body() or b"{}")
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.", code="invalid_json")
    return body
