"""Users (administrators), one's own API tokens, and the event history over the API.

The rules are the Settings page's and the dashboard's, from the same core functions: only an
administrator lists, creates, disables or re-roles users, and never themselves (core/accounts.py);
everyone sees and revokes their own tokens only (an administrator may revoke anyone's, as in
the core); a new token has at most the scopes of the credential that asks for it; the history
shows a user what concerns them, an administrator everything.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session as DBSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mediafetcher_app.core import accounts, auth, events
from mediafetcher_app.core.errors import InvalidInput, NotFound
from mediafetcher_app.core.models import Role
from mediafetcher_app.core.query_params import int_param

from .bodies import json_object
from .handlers import in_db, path_id
from .routing import Operation, Query, answer, api_route, validated
from .schemas import EventList, NewToken, TokenCreate, TokenList, UserCreate, UserEdit, UserList

EVENT_LIMIT = 200


def _summary(db: DBSession, who: auth.Principal, user_id: int) -> accounts.UserSummary:
    found = [user for user in accounts.list_users(db, who) if user.id == user_id]
    if not found:
        raise NotFound("No such user.")
    return found[0]


async def list_users(request: Request) -> JSONResponse:
    return answer(UserList, {"users": await in_db(request, accounts.list_users)})


async def create_user(request: Request) -> JSONResponse:
    raw = await json_object(request)

    def create(db: DBSession, who: auth.Principal) -> accounts.UserSummary:
        who.require_admin()  # before the body is looked at: a user learns nothing from its errors
        body = validated(UserCreate, raw)
        user = accounts.create(db, who, body.username, body.password, Role(body.role))
        assert user.id is not None
        return _summary(db, who, user.id)

    return answer(accounts.UserSummary, await in_db(request, create), status=201)


async def edit_user(request: Request) -> JSONResponse:
    user_id, raw = path_id(request, "user_id"), await json_object(request)

    def edit(db: DBSession, who: auth.Principal) -> accounts.UserSummary:
        who.require_admin()
        body = validated(UserEdit, raw)
        if body.role is None and body.disabled is None:
            raise InvalidInput("Nothing to change: send role and/or disabled.", code="invalid_body")
        if body.role is not None:
            accounts.set_role(db, who, user_id, Role(body.role))
        if body.disabled is not None:
            accounts.set_disabled(db, who, user_id, body.disabled)
        return _summary(db, who, user_id)

    return answer(accounts.UserSummary, await in_db(request, edit))


async def list_tokens(request: Request) -> JSONResponse:
    rows = await in_db(request, lambda db, who: auth.list_tokens(db, who.user_id))
    return answer(TokenList, {"tokens": rows})


async def create_token(request: Request) -> JSONResponse:
    raw = await json_object(request)

    def mint(db: DBSession, who: auth.Principal) -> dict[str, Any]:
        body = validated(TokenCreate, raw)
        row, token = auth.create_own_token(db, who, body.label.strip() or "API token", tuple(body.scopes))
        return {**row.model_dump(), "token": token}

    return answer(NewToken, await in_db(request, mint), status=201, headers={"Cache-Control": "no-store"})


async def revoke_token(request: Request) -> Response:
    token_id = path_id(request, "token_id")
    await in_db(request, lambda db, who: auth.revoke_token(db, who, token_id))
    return Response(status_code=204)


async def list_events(request: Request) -> JSONResponse:
    limit = int_param(request.query_params, "limit", 50)
    if limit is None or not 1 <= limit <= EVENT_LIMIT:
        raise InvalidInput(f"limit is between 1 and {EVENT_LIMIT}.", code="invalid_filter")

    def read(db: DBSession, who: auth.Principal) -> list[Any]:
        return events.recent(db, limit=limit, user_id=None if who.is_admin else who.user_id)

    return answer(EventList, {"events": await in_db(request, read)})


ADMIN, TOKENS = auth.Scope.ADMIN, auth.Scope.TOKENS_WRITE
SELF = "An administrator cannot change their own role or access here (409)."

routes = [
    api_route("GET", "/api/v1/users", list_users, Operation("Every user", scope=ADMIN, admin=True, response=UserList)),
    api_route(
        "POST",
        "/api/v1/users",
        create_user,
        Operation(
            "Create a user",
            scope=ADMIN,
            admin=True,
            body=UserCreate,
            response=accounts.UserSummary,
            status=201,
            errors=(409,),
        ),
    ),
    api_route(
        "PATCH",
        "/api/v1/users/{user_id}",
        edit_user,
        Operation(
            "Change a user's role or disable/enable them",
            scope=ADMIN,
            admin=True,
            body=UserEdit,
            response=accounts.UserSummary,
            errors=(409,),
            description=SELF + " Disabling ends the user's sessions and stops their tokens.",
        ),
    ),
    api_route("GET", "/api/v1/tokens", list_tokens, Operation("Your API tokens", scope=TOKENS, response=TokenList)),
    api_route(
        "POST",
        "/api/v1/tokens",
        create_token,
        Operation(
            "Create an API token for yourself",
            scope=TOKENS,
            body=TokenCreate,
            response=NewToken,
            status=201,
            description="The token is in this answer only. It cannot have a scope the asking credential lacks (403).",
        ),
    ),
    api_route(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        revoke_token,
        Operation("Revoke one of your API tokens", scope=TOKENS, description="Someone else's token is a 404."),
    ),
    api_route(
        "GET",
        "/api/v1/events",
        list_events,
        Operation(
            "The history, newest first",
            scope=auth.Scope.EVENTS_READ,
            query=(Query("limit", {"type": "integer", "minimum": 1, "maximum": EVENT_LIMIT, "default": 50}),),
            response=EventList,
            description="A user sees what concerns them (their downloads and actions), an administrator everything.",
        ),
    ),
]
