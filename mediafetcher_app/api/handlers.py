"""Plumbing shared by the route modules: authenticate, then work in one transaction off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session as DBSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import InvalidInput
from mediafetcher_app.core.media_queries import MAX_ID

from . import identity
from .routing import REQUIRED_SCOPE

T = TypeVar("T")


async def in_db(request: Request, work: Callable[[DBSession, auth.Principal], T]) -> T:
    """Authenticate, then run ``work`` in one transaction off the event loop.

    Authentication comes first, so an anonymous caller learns nothing from validation errors,
    then the token scope the route declares (routing.api_route); ``work`` raising rolls the
    whole transaction back (nothing half-stored).
    """
    required = request.scope.get(REQUIRED_SCOPE)

    def run() -> T:
        with session_scope() as db:
            who = identity.principal(db, request)
            if required:
                who.require_scope(required)
            return work(db, who)

    return await run_in_threadpool(run)


def path_id(request: Request, name: str) -> int:
    """A row id from the path: digits within PostgreSQL's integer range, else a 400 (never a 500)."""
    raw = request.path_params[name]
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise InvalidInput(f"{name} must be a number from 1 to {MAX_ID}.", code="invalid_id")
    return int(raw)
