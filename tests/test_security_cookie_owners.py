"""Issue 8 item 6, cookies belong to their user: a job uses its submitter's jar (or one an admin
shares), plain users pair and sync their own, Connections shows each their own (admins
everyone's status, never a value), and the migration hands existing jars to the first admin."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlmodel import select

from mediafetcher_app.api import build_api
from mediafetcher_app.core import accounts, auth, pairing, vault
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import Conflict, Forbidden, NotFound
from mediafetcher_app.core.migrations import alembic_config
from mediafetcher_app.core.models import CookieJar, Role
from mediafetcher_app.state.connections import ConnectionsState
from tests.factories import bearer, make_principal, make_session, make_user
from tests.fixtures.pipeline import assert_done, job_row, new_job
from tests.fixtures.server import COOKIE, FixtureServer
from tests.states import call, state
from worker.cookies import job_cookie_file
from worker.tasks import download

SITE = "127.0.0.1"
FAR = 4102444800  # 2100-01-01


def sync(owner_id: int, value: str, site: str = SITE) -> None:
    jar = f"{site}\tFALSE\t/\tFALSE\t{FAR}\t{COOKIE[0]}\t{value}\n"
    with session_scope() as db:
        vault.save_cookies(db, vault.parse_netscape(jar), owner_id=owner_id)


def share(who: auth.Principal, shared: bool = True, site: str = SITE) -> None:
    with session_scope() as db:
        vault.set_shared(db, who, site, shared)


def cookie_for_job(tmp_path: Path, user_id: int | None, site: str = SITE) -> str | None:
    """The cookie value a job submitted by ``user_id`` would get, or None."""
    with session_scope() as db:
        path = job_cookie_file(db, f"http://{site}/x", tmp_path, user_id)
    return None if path is None else vault.parse_netscape(path.read_text())[0].value


async def test_a_job_uses_the_cookies_of_the_user_who_submitted_it(server: FixtureServer):
    url = server.url("/protected/media/h264.mp4")
    sync(make_user("alice"), COOKIE[1])
    sync(make_user("bob"), "not-the-right-value")
    make_user("carol")  # has no jar at all
    for user, ok in (("alice", True), ("bob", False), ("carol", False)):
        job_id = new_job(url, user=user)
        await download({"worker_id": "test-worker"}, job_id)
        job = job_row(job_id)
        if ok:
            assert_done(job)
        else:
            assert job.status == "failed" and "refused access" in (job.error_message or "")


def test_a_shared_admin_jar_stands_in_only_when_the_submitter_has_none(tmp_path):
    root = make_principal("root", Role.admin)
    alice, bob = make_user("alice"), make_user("bob")
    sync(root.user_id, "root-value")
    sync(alice, "alice-value")
    assert cookie_for_job(tmp_path, bob) is None, "another user's jar is never used unshared"
    share(root)
    assert cookie_for_job(tmp_path, bob) == "root-value"
    assert cookie_for_job(tmp_path, alice) == "alice-value"
    assert cookie_for_job(tmp_path, None) == "root-value", "a job whose submitter was deleted"
    share(root, False)
    assert cookie_for_job(tmp_path, bob) is None


@pytest.mark.parametrize("change", ["demoted", "disabled"])
def test_a_share_lapses_while_its_owner_is_no_enabled_admin(tmp_path, change):
    root, other = make_principal("root", Role.admin), make_principal("other", Role.admin)
    bob = make_user("bob")
    sync(root.user_id, "root-value")
    share(root)
    with session_scope() as db:
        if change == "demoted":
            accounts.set_role(db, other, root.user_id, Role.user)
        else:
            accounts.set_disabled(db, other, root.user_id, True)
    assert cookie_for_job(tmp_path, bob) is None


def test_only_an_admin_shares_and_only_their_own_jar():
    alice = make_principal("alice")
    root, other = make_principal("root", Role.admin), make_principal("other", Role.admin)
    sync(alice.user_id, "alice-value")
    sync(other.user_id, "other-value")
    with pytest.raises(Forbidden):
        share(alice)
    with pytest.raises(NotFound):
        share(root)  # root has no jar for the site: alice's or other's cannot be shared by root
    share(other)
    sync(root.user_id, "root-value")
    with pytest.raises(Conflict, match="already shares"):
        share(root)
    with session_scope() as db:
        assert {(jar.owner_id, jar.shared) for jar in db.exec(select(CookieJar)).all()} == {
            (alice.user_id, False),
            (other.user_id, True),
            (root.user_id, False),
        }


async def test_a_plain_user_pairs_a_browser_and_syncs_their_own_cookies():
    root, alice = make_user("root", Role.admin), make_user("alice")
    sync(root, "root-value", site="youtube.com")
    code = secrets.token_urlsafe(32)
    with session_scope() as db:
        who = auth.principal_for_session(db, make_session("alice"))
        pairing.answer(db, who, hashlib.sha256(code.encode()).hexdigest(), "Firefox", True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://mf.test") as http:
        token = (await http.post("/api/v1/pair/claim", json={"code": code})).json()["token"]
        cookies = [{"name": "SID", "value": "alice-value", "domain": ".youtube.com", "expirationDate": FAR}]
        synced = await http.post("/api/v1/cookies", json={"cookies": cookies}, headers=bearer(token))
    assert synced.status_code == 200 and synced.json()["domains"] == {"youtube.com": 1}
    with session_scope() as db:
        assert [c.value for c in vault.load_cookies(db, "youtube.com", owner_id=alice)] == ["alice-value"]
        assert [c.value for c in vault.load_cookies(db, "youtube.com", owner_id=root)] == ["root-value"]


async def test_connections_show_users_their_own_jars_and_admins_everyones_without_values():
    root, alice = make_principal("root", Role.admin), make_user("alice")
    sync(root.user_id, "root-secret-value")
    sync(alice, "alice-secret-value", site="x.com")
    user_view = state(ConnectionsState, make_session("alice"))
    await call(user_view, "load")
    assert [(row["domain"], row["owner"]) for row in user_view.jars] == [("x.com", "alice")]
    assert user_view.everyone == []
    admin_view = state(ConnectionsState, make_session("root"))
    await call(admin_view, "load")
    assert [(row["domain"], row["owner"]) for row in admin_view.jars] == [(SITE, "root")]
    assert [(row["domain"], row["owner"]) for row in admin_view.everyone] == [(SITE, "root"), ("x.com", "alice")]
    await call(admin_view, "set_shared", SITE, True)
    assert admin_view.jars[0]["shared"] and admin_view.everyone[0]["shared"]
    shown = json.dumps([user_view.jars, admin_view.jars, admin_view.everyone])
    assert "secret-value" not in shown and COOKIE[0] not in shown


async def test_a_cookie_check_checks_the_asking_users_own_jar(server: FixtureServer, monkeypatch, burst_worker):
    check = {SITE: {"engine": vault.GALLERYDL, "url": server.url("/protected/img/gallery0.jpg")}}
    monkeypatch.setenv("MF_COOKIE_CHECK_URLS", json.dumps(check))
    root, alice = make_principal("root", Role.admin), make_user("alice")
    sync(root.user_id, COOKIE[1])
    share(root)
    sync(alice, "alice-stale-value")
    await call(state(ConnectionsState, make_session("alice")), "check", SITE)
    async with burst_worker() as worker:
        await worker.main()
    with session_scope() as db:
        verdicts = {jar.owner_id: jar.last_validation_ok for jar in db.exec(select(CookieJar)).all()}
    assert verdicts == {alice: False, root.user_id: None}, "alice's own jar, not the shared one that works"


# --- migration 0005 -------------------------------------------------------------------------------


def migrate(url: str, revision: str, *statements: str) -> list[tuple]:
    """Upgrade to ``revision``, then run ``statements``; the last one's rows."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            results = [connection.execute(text(sql)) for sql in statements]
            return list(results[-1].all()) if results and results[-1].returns_rows else []
    finally:
        engine.dispose()


def test_the_migration_gives_existing_jars_to_the_first_admin_unshared(empty_database_url):
    migrate(
        empty_database_url,
        "0004",
        """INSERT INTO "user" (id, username, password_hash, role, disabled, created_at) VALUES
            (1, 'early-user', 'x', 'user', false, now()),
            (2, 'first-admin', 'x', 'admin', false, now()),
            (3, 'later-admin', 'x', 'admin', false, now())""",
        "INSERT INTO cookie_jar (domain, ciphertext, cookie_count) VALUES ('youtube.com', 'x', 1), ('x.com', 'y', 2)",
    )
    rows = migrate(empty_database_url, "0005", "SELECT domain, owner_id, shared FROM cookie_jar ORDER BY domain")
    assert rows == [("x.com", 2, False), ("youtube.com", 2, False)]
