"""Media listing and files. Paths come from the database row, never from the request.

A stored file is served with a Content-Type from ``SERVABLE_TYPES`` only: raster images, audio and
video, which no browser runs as a page. Any other type on a row (an old row, a bug upstream) goes
out as ``application/octet-stream`` and as an attachment, so it is saved, never displayed. The
sandboxing CSP and ``nosniff`` on these routes come from security.py.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session as DBSession
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from mediafetcher_app.core import auth, media_queries, storage
from mediafetcher_app.core.errors import NotFound
from mediafetcher_app.core.media_types import SERVABLE_TYPES, THUMBNAIL_TYPE
from mediafetcher_app.core.models import Media
from mediafetcher_app.core.query_params import filter_from_query

from .handlers import in_db, path_id
from .routing import Operation, Query, api_route
from .schemas import MediaPage

# Files are named by their SHA-256: a URL's bytes never change, so browsers may keep them.
IMMUTABLE = "private, max-age=31536000, immutable"
OPAQUE = "application/octet-stream"


def servable_type(mime: str | None) -> str:
    """The row's type if it is on the allow-list (parameters dropped), else ``OPAQUE``."""
    essence = (mime or "").split(";", 1)[0].strip().lower()
    return essence if essence in SERVABLE_TYPES else OPAQUE


async def list_media(request: Request) -> JSONResponse:
    filt = filter_from_query(request.query_params)

    def page(db: DBSession, who: auth.Principal) -> dict[str, Any]:
        who.require_scope(auth.Scope.MEDIA_READ)
        return media_queries.list_media(db, filt).as_dict()

    return JSONResponse(await in_db(request, page))


async def media_detail(request: Request) -> JSONResponse:
    media_id = path_id(request, "media_id")

    def read(db: DBSession, who: auth.Principal) -> dict[str, Any]:
        who.require_scope(auth.Scope.MEDIA_READ)
        return media_queries.detail(db, media_id).as_dict()

    return JSONResponse(await in_db(request, read))


def _stored_file(request: Request, thumbnail: bool) -> Any:
    media_id = path_id(request, "media_id")

    def locate(db: DBSession, who: auth.Principal) -> tuple[str, str, str]:
        who.require_scope(auth.Scope.MEDIA_READ)
        media = db.get(Media, media_id)
        relative = media and (media.thumbnail_path if thumbnail else media.path)
        if media is None or not relative:
            raise NotFound("No such file.")
        mime = THUMBNAIL_TYPE if thumbnail else servable_type(media.mime)
        return relative, mime, media_queries.download_name(media.title or "media", media.path)

    return in_db(request, locate)


async def media_file(request: Request) -> Response:
    """The original, with Range (seeking) from Starlette's FileResponse; ?download=1 saves it."""
    relative, mime, name = await _stored_file(request, thumbnail=False)
    path = storage.absolute(relative)
    if not path.is_file():
        raise NotFound("The file is missing from the media folder.")
    saved = request.query_params.get("download") or mime == OPAQUE
    disposition = "attachment" if saved else "inline"
    return FileResponse(
        path, media_type=mime, filename=name, content_disposition_type=disposition, headers={"Cache-Control": IMMUTABLE}
    )


async def thumbnail_file(request: Request) -> Response:
    relative, mime, _name = await _stored_file(request, thumbnail=True)
    path = storage.absolute(relative)
    if not path.is_file():
        raise NotFound("The thumbnail is missing.")
    return FileResponse(path, media_type=mime, headers={"Cache-Control": IMMUTABLE})


TEXT, DAY = {"type": "string"}, {"type": "string", "format": "date"}
LIST_QUERY = (
    Query("q", TEXT, "Words, each a prefix, all required (title, description, tags, uploader, URL)."),
    Query("kind", {"type": "string", "enum": ["video", "audio", "image"]}),
    Query("platform", TEXT),
    Query("folder_id", {"type": "integer", "minimum": 1, "maximum": media_queries.MAX_ID}),
    Query("tag", TEXT),
    Query("downloaded_from", DAY),
    Query("downloaded_to", DAY),
    Query("posted_from", DAY),
    Query("posted_to", DAY),
    Query("sort", {"type": "string", "enum": list(media_queries.SORTS), "default": "newest"}),
    Query("before", TEXT, "The `next` cursor of the previous page."),
    Query("limit", {"type": "integer", "minimum": 1, "maximum": media_queries.MAX_LIMIT, "default": 60}),
)

routes = [
    api_route(
        "GET",
        "/api/v1/media",
        list_media,
        Operation("Find media (the feed)", scope=auth.Scope.MEDIA_READ, query=LIST_QUERY, response=MediaPage),
    ),
    api_route(
        "GET",
        "/api/v1/media/{media_id}",
        media_detail,
        Operation(
            "One media with its sources, folders and tags",
            scope=auth.Scope.MEDIA_READ,
            response=media_queries.MediaDetail,
        ),
    ),
    Route("/media/{media_id}", media_file, methods=["GET", "HEAD"]),
    Route("/thumbs/{media_id}", thumbnail_file, methods=["GET", "HEAD"]),
]
