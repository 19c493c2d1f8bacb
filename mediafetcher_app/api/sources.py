"""Sources (subscriptions) over the API, with the scopes of downloads: a source queues downloads.

Each handler calls core/subscriptions.py, as the Sources page does: a user sees and changes their
own sources, an administrator everyone's.
"""

from __future__ import annotations

from sqlmodel import Session as DBSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mediafetcher_app.core import auth, subscriptions
from mediafetcher_app.core.errors import InvalidInput
from worker.client import request_source_check

from .bodies import json_object
from .handlers import in_db, path_id
from .routing import Operation, answer, api_route, validated
from .schemas import CheckQueued, Created, SourceCreate, SourceEdit, SourceList

READ, WRITE = auth.Scope.DOWNLOADS_READ, auth.Scope.DOWNLOADS_WRITE


async def create_source(request: Request) -> JSONResponse:
    raw = await json_object(request)

    def create(db: DBSession, who: auth.Principal) -> int:
        body = validated(SourceCreate, raw)
        sub = subscriptions.create(
            db, who, body.url, body.interval_minutes, body.folder_id, body.kind, body.backfill, body.name, body.preset
        )
        assert sub.id is not None
        return sub.id

    sub_id = await in_db(request, create)
    await request_source_check(sub_id)
    return answer(Created, {"id": sub_id}, status=201)


async def list_sources(request: Request) -> JSONResponse:
    def items(db: DBSession, who: auth.Principal) -> dict[str, object]:
        return {"items": [subscriptions.view(sub) for sub in subscriptions.list_for(db, who)]}

    return answer(SourceList, await in_db(request, items))


async def get_source(request: Request) -> JSONResponse:
    sub_id = path_id(request, "source_id")
    found = await in_db(request, lambda db, who: subscriptions.view(subscriptions.get(db, who, sub_id)))
    return answer(subscriptions.SubscriptionView, found)


async def edit_source(request: Request) -> JSONResponse:
    sub_id, raw = path_id(request, "source_id"), await json_object(request)

    def edit(db: DBSession, who: auth.Principal) -> subscriptions.SubscriptionView:
        body = validated(SourceEdit, raw)
        if not body.model_fields_set:
            raise InvalidInput("Nothing to change: send at least one of the fields.", code="invalid_body")
        changes = {key: getattr(body, key) for key in body.model_fields_set}
        for key in ("interval_minutes", "kind", "preset", "backfill", "paused", "name"):
            if key in changes and changes[key] is None:
                raise InvalidInput(f"{key} cannot be null.", code="invalid_body")
        return subscriptions.view(subscriptions.update_settings(db, who, sub_id, changes))

    return answer(subscriptions.SubscriptionView, await in_db(request, edit))


async def delete_source(request: Request) -> Response:
    sub_id = path_id(request, "source_id")
    await in_db(request, lambda db, who: subscriptions.delete(db, who, sub_id))
    return Response(status_code=204)


async def check_source_now(request: Request) -> JSONResponse:
    sub_id = path_id(request, "source_id")
    await in_db(request, lambda db, who: subscriptions.request_check(db, who, sub_id))
    return answer(CheckQueued, {"queued": await request_source_check(sub_id)}, status=202)


routes = [
    api_route(
        "POST",
        "/api/v1/sources",
        create_source,
        Operation(
            "Follow a channel, playlist, profile, board or feed",
            scope=WRITE,
            body=SourceCreate,
            response=Created,
            status=201,
            errors=(409,),
            description="The first check runs at once; later ones every interval_minutes.",
        ),
    ),
    api_route("GET", "/api/v1/sources", list_sources, Operation("Your sources", scope=READ, response=SourceList)),
    api_route(
        "GET",
        "/api/v1/sources/{source_id}",
        get_source,
        Operation("A source, its last and next check", scope=READ, response=subscriptions.SubscriptionView),
    ),
    api_route(
        "PATCH",
        "/api/v1/sources/{source_id}",
        edit_source,
        Operation(
            "Change a source's settings, pause or resume it",
            scope=WRITE,
            body=SourceEdit,
            response=subscriptions.SubscriptionView,
        ),
    ),
    api_route(
        "DELETE",
        "/api/v1/sources/{source_id}",
        delete_source,
        Operation("Stop following a source", scope=WRITE, description="What it downloaded stays in the library."),
    ),
    api_route(
        "POST",
        "/api/v1/sources/{source_id}/check",
        check_source_now,
        Operation(
            "Check a source now",
            scope=WRITE,
            response=CheckQueued,
            status=202,
            errors=(409,),
            description="409 for a paused source.",
        ),
    ),
]
