"""/api/v1/cookies through the real Starlette app and database: who may write, what comes back."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from mediafetcher_app.core import auth, vault
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import CookieJar, Event, Role, User
from tests.factories import bearer, make_session, make_token, make_user

BASE = "http://mf.test"
FAR = 4102444800  # 2100-01-01

SECRET_VALUES = ["ytSecretSidValue42", "ytHttpOnlyValue77", "xAuthTokenSecret99", "chromeJsonSecret55"]
NETSCAPE = (
    "# Netscape HTTP Cookie File\r\n"
    "\r\n"
    f".youtube.com\tTRUE\t/\tTRUE\t{FAR}\tSID\tytSecretSidValue42\r\n"
    f"#HttpOnly_.youtube.com\tTRUE\t/\tTRUE\t0\t__Secure-3PSID\tytHttpOnlyValue77\r\n"
    f".x.com\tTRUE\t/\tTRUE\t{FAR}\tauth_token\txAuthTokenSecret99\r\n"
)
CHROME = {
    "cookies": [
        {
            "domain": ".instagram.com",
            "hostOnly": False,
            "httpOnly": True,
            "name": "sessionid",
            "path": "/",
            "secure": True,
            "session": False,
            "expirationDate": 4102444800.5,
            "value": "chromeJsonSecret55",
        }
    ]
}
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def assert_no_secret(body: str) -> None:
    for secret in SECRET_VALUES:
        assert secret not in body


def jars() -> dict[str, int]:
    with session_scope() as db:
        return {row.domain: row.cookie_count for row in db.exec(select(CookieJar)).all()}


async def test_post_netscape_answers_counts_and_get_shows_status_only(client, admin_token):
    response = await client.post("/api/v1/cookies", content=NETSCAPE.encode(), headers=bearer(admin_token, **TEXT))
    assert response.status_code == 200
    assert response.json() == {"domains": {"x.com": 1, "youtube.com": 2}, "total": 3}
    assert_no_secret(response.text)

    status = await client.get("/api/v1/cookies", headers=bearer(admin_token))
    assert status.status_code == 200
    assert_no_secret(status.text)
    by_domain = {s["domain"]: s for s in status.json()}
    assert set(by_domain) == {"x.com", "youtube.com"}
    assert by_domain["youtube.com"]["cookie_count"] == 2
    assert by_domain["youtube.com"]["earliest_expiry"].startswith("2100-01-01")
    assert by_domain["youtube.com"]["state"] == "ok" and by_domain["youtube.com"]["last_sync"]
    for entry in status.json():
        assert not {"value", "values", "cookies", "ciphertext"} & set(entry)

    with session_scope() as db:
        event = db.exec(select(Event).where(Event.kind == "cookies_synced")).one()
        assert event.message == "Cookies synced: x.com (1), youtube.com (2)."
        assert event.user_id == db.exec(select(User.id).where(User.username == "root")).one()


async def test_post_chrome_json_with_an_admin_session(client):
    make_user("root", Role.admin)
    client.cookies.set(auth.SESSION_COOKIE, make_session("root"))
    response = await client.post("/api/v1/cookies", json=CHROME)
    assert response.status_code == 200
    assert response.json() == {"domains": {"instagram.com": 1}, "total": 1}
    assert_no_secret(response.text)
    with session_scope() as db:
        [stored] = vault.load_cookies(db, "instagram.com", owner_id=auth.get_user(db, "root").id)
    assert stored.domain == ".instagram.com" and stored.secure and stored.http_only
    assert stored.expires == 4102444800 and stored.value == "chromeJsonSecret55"


async def test_json_body_sent_as_text_is_recognised(client, admin_token):
    import json

    response = await client.post("/api/v1/cookies", content=json.dumps(CHROME), headers=bearer(admin_token, **TEXT))
    assert response.status_code == 200 and response.json()["total"] == 1


async def test_a_sync_keeps_other_sites(client, admin_token):
    await client.post("/api/v1/cookies", content=NETSCAPE, headers=bearer(admin_token, **TEXT))
    await client.post("/api/v1/cookies", json=CHROME, headers=bearer(admin_token))
    only_youtube = f".youtube.com\tTRUE\t/\tTRUE\t{FAR}\tSID\tnewvalue\n"
    response = await client.post("/api/v1/cookies", content=only_youtube, headers=bearer(admin_token, **TEXT))
    assert response.json() == {"domains": {"youtube.com": 1}, "total": 1}
    assert jars() == {"youtube.com": 1, "x.com": 1, "instagram.com": 1}


async def test_without_credentials_401(client):
    assert (await client.post("/api/v1/cookies", content=NETSCAPE, headers=TEXT)).status_code == 401
    assert (await client.get("/api/v1/cookies")).status_code == 401
    bad = await client.post("/api/v1/cookies", content=NETSCAPE, headers=bearer("mft_nope", **TEXT))
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "not_authenticated"
    assert jars() == {}


async def test_a_users_session_syncs_their_own_cookies_but_sees_only_their_own(client, admin_token):
    await client.post("/api/v1/cookies", json=CHROME, headers=bearer(admin_token))
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    response = await client.post("/api/v1/cookies", content=NETSCAPE, headers=TEXT)
    assert response.status_code == 200 and response.json()["total"] == 3
    assert [(s["domain"], s["owner"]) for s in (await client.get("/api/v1/cookies")).json()] == [
        ("x.com", "alice"),
        ("youtube.com", "alice"),
    ]
    everyone = await client.get("/api/v1/cookies?all=1")
    assert everyone.status_code == 403 and everyone.json()["error"]["code"] == "forbidden"


async def test_a_token_without_cookies_write_gets_403_even_for_an_admin(client):
    make_user("root", Role.admin)
    token = make_token("root")  # default scopes: no cookies:write
    response = await client.post("/api/v1/cookies", content=NETSCAPE, headers=bearer(token, **TEXT))
    assert response.status_code == 403 and "cookies:write" in response.json()["error"]["message"]
    assert jars() == {}


async def test_a_demoted_admin_keeps_their_own_jars_but_no_longer_sees_everyones(client, admin_token):
    with session_scope() as db:
        auth.get_user(db, "root").role = Role.user
    response = await client.post("/api/v1/cookies", content=NETSCAPE, headers=bearer(admin_token, **TEXT))
    assert response.status_code == 200
    everyone = await client.get("/api/v1/cookies?all=1", headers=bearer(admin_token))
    assert everyone.status_code == 403 and everyone.json()["error"]["message"] == "Only an administrator can do this."


async def test_unauthenticated_garbage_gets_401_not_400(client):
    assert (await client.post("/api/v1/cookies", content=b"garbage", headers=TEXT)).status_code == 401


@pytest.mark.parametrize(
    "body,content_type,message",
    [
        (
            NETSCAPE + ".tiktok.com\tTRUE\t/\tFALSE\t0\tsid_guard\tok\n\n# x\n.a.com\tTRUE\t/\tFALSE\n",
            "text/plain",
            "Line 9: expected 7 tab-separated fields, found 4.",
        ),
        (
            NETSCAPE + ".tiktok.com\tTRUE\t/\tFALSE\tnever\tsid_guard\tytSecretSidValue42\n",
            "text/plain",
            "Line 6: the expiry (fifth field)",
        ),
        ("", "text/plain", "No cookies found"),
        ("  \r\n\n", "text/plain", "No cookies found"),
        ("", "application/json", "No cookies found"),
        ('{"cookies": [{"domain": ".x.com", "name": "n", "value": 1}]}', "application/json", "Cookie 1: 'value'"),
        ("not json", "application/json", "not valid JSON"),
    ],
)
async def test_malformed_input_is_a_400_naming_the_line_and_stores_nothing(
    client, admin_token, body, content_type, message
):
    await client.post("/api/v1/cookies", json=CHROME, headers=bearer(admin_token))
    before = jars()
    response = await client.post(
        "/api/v1/cookies", content=body.encode(), headers=bearer(admin_token, **{"Content-Type": content_type})
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_cookies" and message in error["message"]
    assert_no_secret(response.text)
    assert jars() == before
    with session_scope() as db:
        assert len(db.exec(select(Event).where(Event.kind == "cookies_synced")).all()) == 1


async def test_non_utf8_and_oversized_bodies_are_refused(client, admin_token):
    latin = ".a.com\tTRUE\t/\tFALSE\t0\tn\tcaf\xe9\n".encode("latin-1")
    response = await client.post("/api/v1/cookies", content=latin, headers=bearer(admin_token, **TEXT))
    assert response.status_code == 400 and "UTF-8" in response.json()["error"]["message"]
    huge = b"# " + b"x" * (4 * 1024 * 1024) + b"\n"
    response = await client.post("/api/v1/cookies", content=huge, headers=bearer(admin_token, **TEXT))
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert jars() == {}


async def test_no_cookie_value_reaches_the_logs(client, admin_token, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    headers = bearer(admin_token, **TEXT)
    await client.post("/api/v1/cookies", content=NETSCAPE, headers=headers)
    await client.post("/api/v1/cookies", json=CHROME, headers=bearer(admin_token))
    await client.post("/api/v1/cookies", content=NETSCAPE + "bad line ytSecretSidValue42\n", headers=headers)
    await client.get("/api/v1/cookies", headers=bearer(admin_token))
    with session_scope() as db:
        root = auth.get_user(db, "root").id
        assert vault.write_job_cookie_file(db, "https://www.youtube.com/watch?v=1", tmp_path, user_id=root) is not None
    assert "cookies synced" in caplog.text and "youtube.com" in caplog.text
    assert_no_secret(caplog.text)
    for name in ("SID", "auth_token", "sessionid"):
        assert f"'{name}'" not in caplog.text
