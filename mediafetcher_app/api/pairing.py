"""``/api/v1/pair/*``: the extension's side of pairing (core/pairing.py has the flow).

``claim`` is the one unauthenticated route: the secret code is the credential, and it is worth
nothing until a signed-in user approved the matching challenge on the ``/pair`` page.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlmodel import Session as DBSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mediafetcher_app.core import auth, pairing
from mediafetcher_app.core.db import session_scope

from .bodies import json_object
from .handlers import in_db
from .identity import bearer_token
from .routing import Operation, api_route
from .schemas import PairClaim, PairState


async def claim(request: Request) -> JSONResponse:
    """200 with the token (once) after approval; 202 ``pending`` until then; 403 refused; 410 expired."""
    code = (await json_object(request)).get("code")

    def run() -> pairing.Claimed | None:
        with session_scope() as db:
            return pairing.claim(db, code)

    claimed = await run_in_threadpool(run)
    if claimed is None:
        return JSONResponse({"status": "pending"}, status_code=202)
    return JSONResponse({"status": "paired", **asdict(claimed)}, headers={"Cache-Control": "no-store"})


async def unpair(request: Request) -> Response:
    """Revoke the token this request carries (the extension's "Unpair")."""
    token = bearer_token(request)

    def run(db: DBSession, principal: auth.Principal) -> None:
        if token and principal.via_token:
            pairing.unpair(db, token)

    await in_db(request, run)
    return Response(status_code=204)


routes = [
    api_route(
        "POST",
        "/api/v1/pair/claim",
        claim,
        Operation(
            "The extension claims its token with the pairing code",
            public=True,
            body=PairClaim,
            response=PairState,
            errors=(410,),
            description="200 with the token (once) after approval, 202 pending until then, 403 refused, 410 expired.",
        ),
    ),
    api_route(
        "POST",
        "/api/v1/pair/unpair",
        unpair,
        Operation("Revoke the token this request carries (the extension's Unpair)"),
    ),
]
