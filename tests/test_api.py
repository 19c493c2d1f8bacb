"""HTTP API v1 and the sign-in routes, through the real Starlette app, database and Redis."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from arq.constants import job_key_prefix
from sqlmodel import select

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob, Event, JobStatus, Role
from tests.factories import PASSWORD, bearer, make_session, make_token, make_user

BASE = "http://mf.test"


async def test_ping_needs_a_valid_token(client):
    make_user("alice")
    assert (await client.get("/api/v1/ping")).status_code == 401
    bad = await client.get("/api/v1/ping", headers=bearer("mft_not-a-token"))
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "not_authenticated"
    ok = await client.get("/api/v1/ping", headers=bearer(make_token("alice")))
    assert ok.status_code == 200
    assert ok.json()["ok"] is True and ok.json()["user"]["username"] == "alice"


async def test_ping_accepts_the_session_cookie(client):
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    assert (await client.get("/api/v1/ping")).json()["user"]["role"] == "user"


async def test_post_download_stores_the_job_then_enqueues_it(client, services):
    make_user("alice")
    response = await client.post(
        "/api/v1/downloads", json={"url": "https://example.com/v/1"}, headers=bearer(make_token("alice"))
    )
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    with session_scope() as db:
        job = db.get(DownloadJob, job_id)
        assert job.status == JobStatus.queued and job.url == "https://example.com/v/1"
        assert db.exec(select(Event).where(Event.job_id == job_id)).one().kind == "added"
    queue = aioredis.from_url(services.redis_url)
    assert await queue.exists(job_key_prefix + job.arq_job_id) == 1
    await queue.aclose()


@pytest.mark.parametrize(
    "payload,code",
    [
        ({"url": "ftp://example.com/file"}, "invalid_url"),
        ({"url": "javascript:alert(1)"}, "invalid_url"),
        ({"url": "http://"}, "invalid_url"),
        ({"url": "https://exa mple.com/"}, "invalid_url"),
        ({"url": "http://example.com:99999/"}, "invalid_url"),
        ({}, "invalid_url"),
        ({"url": 42}, "invalid_url"),
        ({"url": "https://example.com/", "folder_id": 12345}, "invalid_folder"),
        ({"url": "https://example.com/", "audio": "yes"}, "invalid_audio"),
        ({"url": "https://example.com/", "audio": 1}, "invalid_audio"),
    ],
)
async def test_post_download_rejects_bad_input_with_a_clear_400_and_stores_nothing(client, payload, code):
    make_user("alice")
    response = await client.post("/api/v1/downloads", json=payload, headers=bearer(make_token("alice")))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    with session_scope() as db:
        assert db.exec(select(DownloadJob)).all() == []


async def test_post_download_can_ask_for_audio_only(client):
    make_user("alice")
    headers = bearer(make_token("alice"))
    plain = await client.post("/api/v1/downloads", json={"url": "https://example.com/v/1"}, headers=headers)
    audio = await client.post(
        "/api/v1/downloads", json={"url": "https://example.com/v/1", "audio": True}, headers=headers
    )
    views = [
        (await client.get(f"/api/v1/downloads/{r.json()['job_id']}", headers=headers)).json() for r in (plain, audio)
    ]
    assert [view["audio_only"] for view in views] == [False, True]


async def test_post_download_rejects_a_body_that_is_not_json(client):
    make_user("alice")
    response = await client.post("/api/v1/downloads", content=b"url=x", headers=bearer(make_token("alice")))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


async def test_read_only_token_gets_403_on_write(client):
    make_user("alice")
    token = make_token("alice", (auth.Scope.DOWNLOADS_READ,))
    response = await client.post("/api/v1/downloads", json={"url": "https://example.com/"}, headers=bearer(token))
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


async def test_jobs_are_private_to_their_owner_but_visible_to_admins(client):
    make_user("alice")
    make_user("bob")
    make_user("root", Role.admin)
    created = await client.post(
        "/api/v1/downloads", json={"url": "https://example.com/a"}, headers=bearer(make_token("alice"))
    )
    job_id = created.json()["job_id"]
    assert (await client.get(f"/api/v1/downloads/{job_id}", headers=bearer(make_token("bob")))).status_code == 404
    admin_view = await client.get(f"/api/v1/downloads/{job_id}", headers=bearer(make_token("root")))
    assert admin_view.status_code == 200
    body = admin_view.json()
    assert body["status"] == "queued" and body["media_ids"] == [] and body["error"] is None


async def test_cancel_then_retry(client):
    make_user("alice")
    headers = bearer(make_token("alice"))
    job_id = (await client.post("/api/v1/downloads", json={"url": "https://example.com/c"}, headers=headers)).json()[
        "job_id"
    ]
    cancelled = await client.post(f"/api/v1/downloads/{job_id}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await client.post(f"/api/v1/downloads/{job_id}/cancel", headers=headers)
    assert again.status_code == 409
    retried = await client.post(f"/api/v1/downloads/{job_id}/retry", headers=headers)
    assert retried.status_code == 202
    assert (await client.get(f"/api/v1/downloads/{job_id}", headers=headers)).json()["status"] == "queued"


async def test_cookie_authenticated_write_from_another_origin_is_refused(client):
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    response = await client.post(
        "/api/v1/downloads", json={"url": "https://example.com/"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


async def test_login_form_sets_an_httponly_samesite_cookie_and_redirects(client):
    make_user("alice")
    response = await client.post("/auth/login", data={"username": "alice", "password": PASSWORD, "next": "/library"})
    assert response.status_code == 303 and response.headers["location"] == "/library"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth.SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert (await client.get("/api/v1/ping")).status_code == 200


async def test_login_refuses_offsite_redirects(client):
    make_user("alice")
    response = await client.post(
        "/auth/login", data={"username": "alice", "password": PASSWORD, "next": "//evil.example/"}
    )
    assert response.headers["location"] == "/"


async def test_login_failure_redirects_back_with_the_reason_and_sets_no_cookie(client):
    make_user("alice")
    response = await client.post("/auth/login", data={"username": "alice", "password": "nope"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?error=Wrong%20username")
    assert "set-cookie" not in response.headers


async def test_login_json_is_rate_limited_with_429(client):
    make_user("alice")
    for _ in range(5):
        failed = await client.post("/auth/login", json={"username": "alice", "password": "nope"})
        assert failed.status_code == 401
    limited = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"


async def test_logout_revokes_the_session(client):
    make_user("alice")
    token = make_session("alice")
    client.cookies.set(auth.SESSION_COOKIE, token)
    response = await client.post("/auth/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    client.cookies.set(auth.SESSION_COOKIE, token)
    assert (await client.get("/api/v1/ping")).status_code == 401
