"""The cookie vault's "check" action: the API queues it, a worker tries the site's signed-in page.

The fixture server's ``/protected/`` path answers 403 without the cookie ``mfsession=letmein``;
``MF_COOKIE_CHECK_URLS`` makes it the signed-in page of the site ``127.0.0.1``, once through
yt-dlp's extractor and once through gallery-dl's.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from sqlmodel import select

from mediafetcher_app.core import auth, vault
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import CookieJar, Event, Role, User
from mediafetcher_app.core.settings import get_settings
from tests.factories import bearer, make_session, make_token, make_user
from tests.fixtures.server import COOKIE, FixtureServer
from worker import cookie_check
from worker.cookie_check import check_cookies

SITE = "127.0.0.1"
FAR = 4102444800  # 2100-01-01
PAST = 946684800  # 2000-01-01
PAGES = {vault.YTDLP: "/protected/media/h264.mp4", vault.GALLERYDL: "/protected/img/gallery0.jpg"}
BASE = "http://mf.test"


def owner_id(name: str = "root") -> int:
    """The admin whose jar the checks use (made on first use)."""
    with session_scope() as db:
        existing = db.exec(select(User.id).where(User.username == name)).first()
    return existing or make_user(name, Role.admin)


def store_jar(value: str, expires: int = FAR, site: str = SITE) -> bytes:
    """Store one cookie for ``site`` in root's jar; returns the sealed jar as stored."""
    jar = f"{site}\tFALSE\t/\tFALSE\t{expires}\t{COOKIE[0]}\t{value}\n"
    with session_scope() as db:
        vault.save_cookies(db, vault.parse_netscape(jar), owner_id=owner_id())
    return stored_blob(vault.site_for_domain(site))


def stored_blob(site: str = SITE) -> bytes:
    with session_scope() as db:
        return bytes(db.exec(select(CookieJar.ciphertext).where(CookieJar.domain == site)).one())


def jar_row(site: str = SITE) -> CookieJar:
    with session_scope() as db:
        return db.exec(select(CookieJar).where(CookieJar.domain == site)).one()


def check_events() -> list[str]:
    with session_scope() as db:
        return [event.message for event in db.exec(select(Event).where(Event.kind == "cookies_checked")).all()]


def leftovers() -> list[Path]:
    return [entry for entry in get_settings().tmp_dir.iterdir() if entry.name.startswith("cookie-check-")]


@pytest.fixture(params=sorted(PAGES))
def engine(request: pytest.FixtureRequest, server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The site 127.0.0.1's check points at the fixture server's protected path, read by this engine."""
    check = {SITE: {"engine": request.param, "url": server.url(PAGES[request.param])}}
    monkeypatch.setenv("MF_COOKIE_CHECK_URLS", json.dumps(check))
    return request.param


@pytest.fixture
def seen_cookie_files(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, int]]:
    """Each cookie file the probe was given, with its mode at that moment."""
    seen: list[tuple[Path, int]] = []
    real_probe = cookie_check.probe

    async def recording_probe(check: vault.SiteCheck, cookiefile: Path, tmp: Path) -> tuple[bool, str]:
        seen.append((cookiefile, stat.S_IMODE(os.stat(cookiefile).st_mode)))
        return await real_probe(check, cookiefile, tmp)

    monkeypatch.setattr(cookie_check, "probe", recording_probe)
    return seen


async def test_the_right_cookies_check_ok(engine, seen_cookie_files, caplog):
    caplog.set_level(logging.DEBUG)
    before = store_jar(COOKIE[1])
    assert await check_cookies({}, SITE, owner_id()) == "ok"
    row = jar_row()
    assert row.last_validation_ok is True and row.last_validation is not None
    assert check_events() == [f"Cookies for {SITE} checked: they work. {cookie_check.REACHED}"]
    [(cookiefile, mode)] = seen_cookie_files
    assert mode == 0o600
    assert not cookiefile.parent.exists() and leftovers() == []
    assert stored_blob() == before
    assert COOKIE[1] not in caplog.text


@pytest.mark.parametrize(("value", "expires"), [("wrong-value", FAR), (COOKIE[1], PAST)], ids=["wrong", "expired"])
async def test_wrong_or_expired_cookies_check_not_ok(engine, seen_cookie_files, value, expires, caplog):
    caplog.set_level(logging.DEBUG)
    before = store_jar(value, expires)
    assert await check_cookies({}, SITE, owner_id()) == "failed"
    row = jar_row()
    assert row.last_validation_ok is False and row.last_validation is not None
    [event] = check_events()
    assert event.startswith(f"Cookies for {SITE} checked: they do not work. ")
    [(cookiefile, _mode)] = seen_cookie_files
    assert not cookiefile.parent.exists() and leftovers() == []
    assert stored_blob() == before
    assert value not in caplog.text


async def test_a_sync_during_the_check_keeps_the_new_jar_unchecked(engine, monkeypatch):
    store_jar(COOKIE[1])
    real_probe = cookie_check.probe

    async def probe_then_resync(check: vault.SiteCheck, cookiefile: Path, tmp: Path) -> tuple[bool, str]:
        result = await real_probe(check, cookiefile, tmp)
        store_jar("new-value")
        return result

    monkeypatch.setattr(cookie_check, "probe", probe_then_resync)
    assert await check_cookies({}, SITE, owner_id()) == "ok"
    row = jar_row()
    assert row.last_validation is None and row.last_validation_ok is None
    assert len(check_events()) == 1


def test_the_built_in_checks_name_a_signed_in_page_per_site():
    assert vault.check_for("music.youtube.com") == vault.SiteCheck(vault.YTDLP, "https://www.youtube.com/feed/history")
    assert vault.check_for("twitter.com") == vault.SiteCheck(vault.GALLERYDL, "https://x.com/home")
    assert vault.check_for("instagram.com") is not None
    for site in ("tiktok.com", "soundcloud.com", "pinterest.com", "twitch.tv", "example.org"):
        assert vault.check_for(site) is None


def test_a_malformed_override_is_refused(monkeypatch):
    monkeypatch.setenv("MF_COOKIE_CHECK_URLS", json.dumps({SITE: {"engine": "curl", "url": "http://x/"}}))
    with pytest.raises(ValueError, match="MF_COOKIE_CHECK_URLS"):
        vault.check_for(SITE)


# --- POST /api/v1/cookies/{site}/check ---------------------------------------------------------


async def test_an_admin_queues_a_check_and_a_worker_records_it(client, admin_token, engine, burst_worker):
    store_jar(COOKIE[1])
    response = await client.post(f"/api/v1/cookies/{SITE}/check", headers=bearer(admin_token))
    assert response.status_code == 202 and response.json() == {"queued": True}
    async with burst_worker() as worker:
        await worker.main()
    assert worker.jobs_complete == 1
    assert jar_row().last_validation_ok is True
    status = await client.get("/api/v1/cookies", headers=bearer(admin_token))
    assert status.json()[0]["last_check_ok"] is True


async def test_an_admin_session_may_queue_a_check(client, engine):
    store_jar(COOKIE[1])
    client.cookies.set(auth.SESSION_COOKIE, make_session("root"))
    assert (await client.post(f"/api/v1/cookies/{SITE}/check")).status_code == 202


async def test_without_credentials_401(client):
    store_jar(COOKIE[1])
    response = await client.post(f"/api/v1/cookies/{SITE}/check")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


async def test_a_user_checks_only_their_own_jar_and_a_token_without_cookies_write_gets_403(client):
    store_jar(COOKIE[1])
    make_user("alice")
    client.cookies.set(auth.SESSION_COOKIE, make_session("alice"))
    others = await client.post(f"/api/v1/cookies/{SITE}/check")
    assert others.status_code == 404 and others.json()["error"]["code"] == "unknown_site"
    client.cookies.clear()
    response = await client.post(f"/api/v1/cookies/{SITE}/check", headers=bearer(make_token("root")))
    assert response.status_code == 403 and "cookies:write" in response.json()["error"]["message"]


async def test_an_unknown_site_is_404(client, admin_token):
    response = await client.post("/api/v1/cookies/youtube.com/check", headers=bearer(admin_token))
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_site"


async def test_a_site_without_a_check_is_400(client, admin_token):
    store_jar("anything", site=".soundcloud.com")
    response = await client.post("/api/v1/cookies/soundcloud.com/check", headers=bearer(admin_token))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "check_not_possible"
    assert "not possible" in response.json()["error"]["message"]
