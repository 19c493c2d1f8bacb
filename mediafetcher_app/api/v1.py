"""HTTP API v1 (docs/ARCHITECTURE.md §5). Each handler resolves who is asking before it reads anything."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlmodel import Session as DBSession
from starlette.requests import Request
from starlette.responses import JSONResponse

from mediafetcher_app import __version__
from mediafetcher_app.core import auth, intake, jobs
from mediafetcher_app.core.errors import InvalidInput
from worker.client import put_download

from .bodies import json_object as _json_object
from .handlers import in_db as _in_db
from .handlers import path_id
from .routing import Operation, answer, api_route, validated
from .schemas import BatchQueued, DownloadBatch, DownloadCreate, Ping, Queued


def _job_body(db: DBSession, job: jobs.DownloadJob) -> dict[str, Any]:
    assert job.id is not None
    return jobs.view(job, jobs.media_ids_of(db, [job.id])[job.id]).as_dict()


def _path_id(request: Request) -> int:
    return path_id(request, "job_id")


async def ping(request: Request) -> JSONResponse:
    def who(_db: DBSession, principal: auth.Principal) -> dict[str, Any]:
        return {"username": principal.username, "role": principal.role.value, "scopes": sorted(principal.scopes)}

    return JSONResponse({"ok": True, "version": __version__, "user": await _in_db(request, who)})


async def create_download(request: Request) -> JSONResponse:
    body = await _json_object(request)
    if "urls" in body:
        return await _create_batch(request, body)
    folder_id = body.get("folder_id")
    if folder_id is not None and not isinstance(folder_id, int):
        raise InvalidInput("folder_id must be a number.", code="invalid_folder")
    audio_only = body.get("audio", False)
    if not isinstance(audio_only, bool):
        raise InvalidInput("audio must be true or false.", code="invalid_audio")
    preset = body.get("preset")
    max_items = body.get("max_items")
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int)):
        raise InvalidInput("max_items must be a number.", code="invalid_max_items")

    job_id = await intake.submit(
        partial(_in_db, request),
        put_download,
        body.get("url"),
        folder_id=folder_id,
        audio_only=audio_only,
        max_items=max_items,
        preset=preset,
    )
    return JSONResponse({"job_id": job_id, "status": "queued"}, status_code=202)


async def _create_batch(request: Request, raw: dict[str, Any]) -> JSONResponse:
    """``{"urls": [...]}``: a job per link, answered line by line (job id or the reason)."""

    def create(db: DBSession, principal: auth.Principal) -> list[jobs.BatchLine]:
        body = validated(DownloadBatch, raw)
        return jobs.create_many(db, principal, list(body.urls), body.folder_id, body.audio, body.preset)

    lines = await intake.store_then_enqueue(_in_db(request, create), intake.batch_job_ids, put_download)
    queued = sum(line.job_id is not None for line in lines)
    return answer(BatchQueued, {"results": lines, "queued": queued, "refused": len(lines) - queued}, status=202)


async def get_download(request: Request) -> JSONResponse:
    job_id = _path_id(request)
    return JSONResponse(await _in_db(request, lambda db, who: _job_body(db, jobs.get_job(db, who, job_id))))


async def cancel_download(request: Request) -> JSONResponse:
    job_id = _path_id(request)
    return JSONResponse(await _in_db(request, lambda db, who: _job_body(db, jobs.request_cancel(db, who, job_id))))


async def retry_download(request: Request) -> JSONResponse:
    job_id = _path_id(request)
    await intake.retry(partial(_in_db, request), put_download, job_id)
    return JSONResponse({"job_id": job_id, "status": "queued"}, status_code=202)


DOWNLOADS_READ, DOWNLOADS_WRITE = auth.Scope.DOWNLOADS_READ, auth.Scope.DOWNLOADS_WRITE

routes = [
    api_route(
        "GET",
        "/api/v1/ping",
        ping,
        Operation("Check the server and who the credential is", response=Ping, description="401 for a bad token."),
    ),
    api_route(
        "POST",
        "/api/v1/downloads",
        create_download,
        Operation(
            "Queue a download, or many",
            scope=DOWNLOADS_WRITE,
            body=DownloadCreate | DownloadBatch,
            response=Queued | BatchQueued,
            status=202,
            description="400 for a URL that is not http(s) or malformed. With `urls`, each link is answered on "
            "its own line (its job id, or the reason it was refused) and the others are queued anyway.",
        ),
    ),
    api_route(
        "GET",
        "/api/v1/downloads/{job_id}",
        get_download,
        Operation("A download's status, progress, error and media", scope=DOWNLOADS_READ, response=jobs.JobView),
    ),
    api_route(
        "POST",
        "/api/v1/downloads/{job_id}/cancel",
        cancel_download,
        Operation("Cancel a download", scope=DOWNLOADS_WRITE, response=jobs.JobView),
    ),
    api_route(
        "POST",
        "/api/v1/downloads/{job_id}/retry",
        retry_download,
        Operation("Retry a failed or cancelled download", scope=DOWNLOADS_WRITE, response=Queued, status=202),
    ),
]
