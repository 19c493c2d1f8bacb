"""The library over the API: edit and delete media, the folder tree, tags, and bulk filing.

Each handler calls the same core function as the web UI's event (core/folders_tags.py), so the rules
are the UI's: anyone files and tags any media; renaming, moving or deleting a folder or tag
someone else created needs an administrator; deleting media needs an administrator. Bulk
actions name every media id that does not exist (404) and then change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session as DBSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mediafetcher_app.core import auth, folders_tags, media_queries
from mediafetcher_app.core.errors import InvalidInput

from .bodies import json_object
from .handlers import in_db, path_id
from .routing import Operation, answer, api_route, validated
from .schemas import (
    FolderChange,
    FolderCreate,
    FolderEdit,
    FolderTree,
    MediaEdit,
    MediaList,
    TagChange,
    TagList,
    TagMedia,
    TagRename,
)

READ, WRITE = auth.Scope.LIBRARY_READ, auth.Scope.LIBRARY_WRITE
NOTHING = "Nothing to change: send at least one of the fields."


# --- media ----------------------------------------------------------------------------------


async def edit_media(request: Request) -> JSONResponse:
    media_id, raw = path_id(request, "media_id"), await json_object(request)

    def edit(db: DBSession, who: auth.Principal) -> media_queries.MediaDetail:
        body = validated(MediaEdit, raw)
        if body.title is None and body.tags is None:
            raise InvalidInput(NOTHING, code="invalid_body")
        if body.title is not None:
            folders_tags.set_title(db, media_id, body.title)
        if body.tags is not None:
            folders_tags.set_tags(db, who, media_id, body.tags)
        return media_queries.detail(db, media_id)

    return answer(media_queries.MediaDetail, await in_db(request, edit))


async def delete_media(request: Request) -> Response:
    media_id = path_id(request, "media_id")
    files = await in_db(request, lambda db, who: folders_tags.delete_media(db, who, media_id))
    await run_in_threadpool(folders_tags.remove_files, files)  # after the commit (see delete_media)
    return Response(status_code=204)


# --- folders --------------------------------------------------------------------------------


async def folder_tree(request: Request) -> JSONResponse:
    return answer(FolderTree, {"folders": await in_db(request, lambda db, _who: folders_tags.folder_tree(db))})


async def create_folder(request: Request) -> JSONResponse:
    raw = await json_object(request)

    def create(db: DBSession, who: auth.Principal) -> folders_tags.FolderNode:
        body = validated(FolderCreate, raw)
        folder = folders_tags.create_folder(db, who, body.name, body.parent_id)
        assert folder.id is not None
        return folders_tags.folder_node(db, folder.id)

    return answer(folders_tags.FolderNode, await in_db(request, create), status=201)


async def edit_folder(request: Request) -> JSONResponse:
    folder_id, raw = path_id(request, "folder_id"), await json_object(request)

    def edit(db: DBSession, who: auth.Principal) -> folders_tags.FolderNode:
        body = validated(FolderEdit, raw)
        if not body.model_fields_set:
            raise InvalidInput(NOTHING, code="invalid_body")
        if body.name is not None:
            folders_tags.rename_folder(db, who, folder_id, body.name)
        if "parent_id" in body.model_fields_set:
            folders_tags.move_folder(db, who, folder_id, body.parent_id)
        return folders_tags.folder_node(db, folder_id)

    return answer(folders_tags.FolderNode, await in_db(request, edit))


async def delete_folder(request: Request) -> Response:
    folder_id = path_id(request, "folder_id")
    await in_db(request, lambda db, who: folders_tags.delete_folder(db, who, folder_id))
    return Response(status_code=204)


async def _change_folder_media(request: Request, change: Callable[[DBSession, int, list[int]], int]) -> JSONResponse:
    """A bulk action on one folder's media: every id must exist; answers the folder and the count."""
    folder_id, raw = path_id(request, "folder_id"), await json_object(request)

    def apply(db: DBSession, _who: auth.Principal) -> dict[str, Any]:
        media_ids = validated(MediaList, raw).media_ids
        folders_tags.folder_node(db, folder_id)  # a missing folder is the first 404
        folders_tags.require_media(db, media_ids)
        changed = change(db, folder_id, media_ids)
        return {"folder": folders_tags.folder_node(db, folder_id), "changed": changed}

    return answer(FolderChange, await in_db(request, apply))


async def add_folder_media(request: Request) -> JSONResponse:
    return await _change_folder_media(request, folders_tags.add_to_folder)


async def remove_folder_media(request: Request) -> JSONResponse:
    return await _change_folder_media(request, folders_tags.remove_many_from_folder)


# --- tags -----------------------------------------------------------------------------------


def _tag_summary(db: DBSession, tag_id: int) -> folders_tags.TagSummary:
    return folders_tags.tag_summaries(db, tag_id)[0]


async def list_tags(request: Request) -> JSONResponse:
    return answer(TagList, {"tags": await in_db(request, lambda db, _who: folders_tags.tag_summaries(db))})


def _tagged(db: DBSession, who: auth.Principal, name: str, media_ids: list[int]) -> dict[str, Any]:
    """Tag media (every id must exist); the tag and how many media newly carry it."""
    folders_tags.require_media(db, media_ids)
    tag = folders_tags.tag_media(db, who, name, [])
    assert tag.id is not None
    before = _tag_summary(db, tag.id).count
    folders_tags.tag_media(db, who, name, media_ids)
    after = _tag_summary(db, tag.id)
    return {"tag": after, "changed": after.count - before}


async def tag_media(request: Request) -> JSONResponse:
    raw = await json_object(request)

    def apply(db: DBSession, who: auth.Principal) -> dict[str, Any]:
        body = validated(TagMedia, raw)
        return _tagged(db, who, body.name, body.media_ids)

    return answer(TagChange, await in_db(request, apply))


async def add_tag_media(request: Request) -> JSONResponse:
    tag_id, raw = path_id(request, "tag_id"), await json_object(request)

    def apply(db: DBSession, who: auth.Principal) -> dict[str, Any]:
        media_ids = validated(MediaList, raw).media_ids
        return _tagged(db, who, folders_tags.tag_by_id(db, tag_id).name, media_ids)

    return answer(TagChange, await in_db(request, apply))


async def remove_tag_media(request: Request) -> JSONResponse:
    tag_id, raw = path_id(request, "tag_id"), await json_object(request)

    def apply(db: DBSession, _who: auth.Principal) -> dict[str, Any]:
        media_ids = validated(MediaList, raw).media_ids
        folders_tags.tag_by_id(db, tag_id)
        folders_tags.require_media(db, media_ids)
        changed = folders_tags.untag_many(db, tag_id, media_ids)
        return {"tag": _tag_summary(db, tag_id), "changed": changed}

    return answer(TagChange, await in_db(request, apply))


async def rename_tag(request: Request) -> JSONResponse:
    tag_id, raw = path_id(request, "tag_id"), await json_object(request)

    def rename(db: DBSession, who: auth.Principal) -> folders_tags.TagSummary:
        new = validated(TagRename, raw).name
        folders_tags.rename_tag(db, who, folders_tags.tag_by_id(db, tag_id).name, new)
        return _tag_summary(db, tag_id)

    return answer(folders_tags.TagSummary, await in_db(request, rename))


async def delete_tag(request: Request) -> Response:
    tag_id = path_id(request, "tag_id")
    await in_db(request, lambda db, who: folders_tags.delete_tag(db, who, folders_tags.tag_by_id(db, tag_id).name))
    return Response(status_code=204)


CREATOR = "Renaming, moving or deleting one someone else created needs an administrator (403)."
BULK = "Every id must name a media (404 names those that do not, and nothing changes)."

routes = [
    api_route(
        "PATCH",
        "/api/v1/media/{media_id}",
        edit_media,
        Operation(
            "Edit a media's title and/or tags",
            scope=WRITE,
            body=MediaEdit,
            response=media_queries.MediaDetail,
            description="Anyone may, as in the viewer: the library is shared.",
        ),
    ),
    api_route(
        "DELETE",
        "/api/v1/media/{media_id}",
        delete_media,
        Operation(
            "Delete a media, its file and thumbnail",
            scope=WRITE,
            admin=True,
            description="Final: the bytes are tombstoned and do not come back unless downloaded again.",
        ),
    ),
    api_route("GET", "/api/v1/folders", folder_tree, Operation("The folder tree", scope=READ, response=FolderTree)),
    api_route(
        "POST",
        "/api/v1/folders",
        create_folder,
        Operation(
            "Create a folder",
            scope=WRITE,
            body=FolderCreate,
            response=folders_tags.FolderNode,
            status=201,
            errors=(409,),
        ),
    ),
    api_route(
        "PATCH",
        "/api/v1/folders/{folder_id}",
        edit_folder,
        Operation(
            "Rename and/or move a folder",
            scope=WRITE,
            body=FolderEdit,
            response=folders_tags.FolderNode,
            errors=(409,),
            description=CREATOR,
        ),
    ),
    api_route(
        "DELETE",
        "/api/v1/folders/{folder_id}",
        delete_folder,
        Operation("Delete a folder and its sub-folders (their media stay)", scope=WRITE, description=CREATOR),
    ),
    api_route(
        "POST",
        "/api/v1/folders/{folder_id}/media",
        add_folder_media,
        Operation("Add media to a folder", scope=WRITE, body=MediaList, response=FolderChange, description=BULK),
    ),
    api_route(
        "POST",
        "/api/v1/folders/{folder_id}/media/remove",
        remove_folder_media,
        Operation("Take media out of a folder", scope=WRITE, body=MediaList, response=FolderChange, description=BULK),
    ),
    api_route(
        "GET", "/api/v1/tags", list_tags, Operation("Every tag with its media count", scope=READ, response=TagList)
    ),
    api_route(
        "POST",
        "/api/v1/tags",
        tag_media,
        Operation(
            "Tag media by tag name (creates the tag)", scope=WRITE, body=TagMedia, response=TagChange, description=BULK
        ),
    ),
    api_route(
        "PATCH",
        "/api/v1/tags/{tag_id}",
        rename_tag,
        Operation(
            "Rename a tag",
            scope=WRITE,
            body=TagRename,
            response=folders_tags.TagSummary,
            errors=(409,),
            description=CREATOR,
        ),
    ),
    api_route(
        "DELETE",
        "/api/v1/tags/{tag_id}",
        delete_tag,
        Operation("Delete a tag (its media stay)", scope=WRITE, description=CREATOR),
    ),
    api_route(
        "POST",
        "/api/v1/tags/{tag_id}/media",
        add_tag_media,
        Operation("Put a tag on media", scope=WRITE, body=MediaList, response=TagChange, description=BULK),
    ),
    api_route(
        "POST",
        "/api/v1/tags/{tag_id}/media/remove",
        remove_tag_media,
        Operation("Take a tag off media", scope=WRITE, body=MediaList, response=TagChange, description=BULK),
    ),
]
