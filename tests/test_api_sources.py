"""Sources over /api/v1 (issue 12 item 1): create, list, read, edit, pause, check now, delete,
through the real Starlette app, database and Redis queue, with owners' rules and the scopes of
downloads."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob, JobMedia, Role, Subscription
from mediafetcher_app.core.queue import QUEUE_NAME
from tests.factories import bearer, make_media, make_token, make_user
from worker.client import get_pool

URL = "http://127.0.0.1:9/channel/fixtures"


@pytest.fixture
def alice() -> dict[str, str]:
    make_user("alice")
    return bearer(make_token("alice"))


@pytest.fixture
def bob() -> dict[str, str]:
    make_user("bob")
    return bearer(make_token("bob"))


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]["message"]


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body) -> int:
    response = await client.post("/api/v1/sources", json={"url": URL, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def queued_checks() -> list[int]:
    pool = await get_pool()
    return [job.args[0] for job in await pool.queued_jobs(queue_name=QUEUE_NAME) if job.function == "check_source"]


async def test_a_new_source_is_stored_with_its_settings_and_its_first_check_is_queued(client, alice):
    sub_id = await create(client, alice, interval_minutes=30, kind="audio", backfill=5, name="Fixtures")
    assert await queued_checks() == [sub_id]
    shown = (await client.get(f"/api/v1/sources/{sub_id}", headers=alice)).json()
    assert {k: shown[k] for k in ("url", "name", "kind", "interval_minutes", "backfill", "paused", "status")} == {
        "url": URL,
        "name": "Fixtures",
        "kind": "audio",
        "interval_minutes": 30,
        "backfill": 5,
        "paused": False,
        "status": "waiting",
    }
    assert shown["last_checked_at"] is None and shown["next_check_at"] is not None
    assert shown["last_new_items"] is None and shown["last_error"] is None
    listed = (await client.get("/api/v1/sources", headers=alice)).json()["items"]
    assert [item["id"] for item in listed] == [sub_id]


@pytest.mark.parametrize(
    "body,sentence",
    [
        ({"url": "ftp://example.com/feed"}, "Only http:// and https:// links"),
        ({"url": URL, "interval_minutes": 1}, "interval_minutes: Input should be greater than or equal to 5"),
        ({"url": URL, "kind": "everything"}, "kind: Input should be 'video', 'audio' or 'image'"),
        ({"url": URL, "backfill": -1}, "backfill"),
        ({"url": URL, "folder_id": 99}, "There is no folder with id 99."),
        ({"url": URL, "colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
async def test_a_bad_source_is_refused_with_a_sentence_and_nothing_is_stored(client, alice, body, sentence):
    assert sentence in error(await client.post("/api/v1/sources", json=body, headers=alice), 400)
    with session_scope() as db:
        assert db.exec(select(Subscription)).all() == []


async def test_following_the_same_link_twice_is_a_conflict(client, alice):
    await create(client, alice)
    assert error(await client.post("/api/v1/sources", json={"url": URL}, headers=alice), 409) == (
        "You already follow this link."
    )


async def test_pause_resume_and_edit_change_the_source_and_a_paused_source_is_not_checked_now(client, alice):
    sub_id = await create(client, alice)
    paused = await client.patch(
        f"/api/v1/sources/{sub_id}", json={"paused": True, "interval_minutes": 90}, headers=alice
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused" and paused.json()["interval_minutes"] == 90
    assert paused.json()["next_check_at"] is None
    assert error(await client.post(f"/api/v1/sources/{sub_id}/check", headers=alice), 409) == (
        "This source is paused: resume it to check it."
    )
    resumed = await client.patch(f"/api/v1/sources/{sub_id}", json={"paused": False}, headers=alice)
    assert resumed.json()["status"] == "waiting"
    checked = await client.post(f"/api/v1/sources/{sub_id}/check", headers=alice)
    assert checked.status_code == 202 and checked.json() == {"queued": True}
    assert await queued_checks() == [sub_id, sub_id]
    assert "Nothing to change" in error(await client.patch(f"/api/v1/sources/{sub_id}", json={}, headers=alice), 400)


async def test_someone_elses_source_is_not_found_and_an_admin_sees_every_source(client, alice, bob):
    sub_id = await create(client, alice)
    for method, path in (
        ("GET", f"/api/v1/sources/{sub_id}"),
        ("PATCH", f"/api/v1/sources/{sub_id}"),
        ("DELETE", f"/api/v1/sources/{sub_id}"),
        ("POST", f"/api/v1/sources/{sub_id}/check"),
    ):
        body = {"paused": True} if method == "PATCH" else None
        response = await client.request(method, path, json=body, headers=bob)
        assert error(response, 404) == f"No source with id {sub_id}."
    assert (await client.get("/api/v1/sources", headers=bob)).json() == {"items": []}
    make_user("root", Role.admin)
    root = bearer(make_token("root"))
    assert [s["id"] for s in (await client.get("/api/v1/sources", headers=root)).json()["items"]] == [sub_id]


async def test_a_token_without_downloads_scopes_cannot_read_or_follow(client):
    make_user("carol")
    reader = bearer(make_token("carol", (auth.Scope.MEDIA_READ,)))
    assert "downloads:write" in error(await client.post("/api/v1/sources", json={"url": URL}, headers=reader), 403)
    assert "downloads:read" in error(await client.get("/api/v1/sources", headers=reader), 403)


async def test_media_show_their_source_and_deleting_the_source_keeps_them(client, alice):
    sub_id = await create(client, alice)
    media_id = make_media("From the channel")
    with session_scope() as db:
        owner = db.exec(select(Subscription)).one().owner_id
        job = DownloadJob(url=URL + "/1", requested_by=owner, subscription_id=sub_id, status="done")
        db.add(job)
        db.flush()
        db.add(JobMedia(job_id=job.id, media_id=media_id))
    shown = (await client.get(f"/api/v1/media/{media_id}", headers=alice)).json()
    assert shown["followed_from"] == [{"id": sub_id, "name": URL}]  # what the viewer shows
    assert (await client.delete(f"/api/v1/sources/{sub_id}", headers=alice)).status_code == 204
    assert error(await client.get(f"/api/v1/sources/{sub_id}", headers=alice), 404)
    with session_scope() as db:
        kept = db.exec(select(DownloadJob)).one()
        assert kept.subscription_id is None
        assert db.exec(select(JobMedia.media_id)).all() == [media_id]
    assert (await client.get(f"/api/v1/media/{media_id}", headers=alice)).json()["followed_from"] == []
