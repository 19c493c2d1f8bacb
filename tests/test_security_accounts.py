"""Issue 8 item 7, accounts: sessions end when they should, guessing never locks the owner out,
the first and the last admin are atomic, and nothing blocks the app's event loop.

Races are made real, not simulated: a test connection holds a lock that the code under test
needs, waits until both contenders are blocked in PostgreSQL, then lets go.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from mediafetcher_app.api import build_api
from mediafetcher_app.core import auth, bootstrap, clients
from mediafetcher_app.core.db import get_engine, session_scope
from mediafetcher_app.core.errors import NotAuthenticated, RateLimited
from mediafetcher_app.core.models import DownloadJob, JobStatus, LoginFailure, Role, User, utcnow
from mediafetcher_app.core.settings import get_settings
from mediafetcher_app.state.dashboard import DashboardState
from mediafetcher_app.state.login import SetupState
from mediafetcher_app.state.settings import SettingsState
from tests.factories import PASSWORD, make_session, make_token, make_user
from tests.states import call, is_error_toast, state
from tests.waiting import wait_for, wait_for_async

NEW_PASSWORD = "a brand new password"


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """Set an environment variable for this test, with the settings read again."""

    def set_(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield set_
    monkeypatch.undo()
    get_settings.cache_clear()


def live(session: str) -> bool:
    return _accepted(auth.principal_for_session, session)


def token_works(token: str) -> bool:
    return _accepted(auth.principal_for_token, token)


def _accepted(resolve: Callable[[Any, str], auth.Principal], secret: str) -> bool:
    with session_scope() as db:
        try:
            resolve(db, secret)
        except NotAuthenticated:
            return False
    return True


# --- sessions end when they should --------------------------------------------------------------


async def test_a_password_change_ends_the_other_sessions_and_keeps_this_one():
    make_user("alice")
    here, elsewhere, token = make_session("alice"), make_session("alice"), make_token("alice")
    form = {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert not is_error_toast(await call(state(SettingsState, here), "change_password", form))
    assert live(here) and not live(elsewhere)
    assert token_works(token), "API tokens are revoked separately"


async def test_sign_out_everywhere_offers_to_revoke_the_api_tokens_with_their_count():
    make_user("alice")
    here, elsewhere = make_session("alice"), make_session("alice")
    tokens = [make_token("alice"), make_token("alice")]
    settings = state(SettingsState, here)
    await call(settings, "load")
    assert settings.token_count == 2
    await call(settings, "sign_out_everywhere", True)
    assert not live(here) and not live(elsewhere)
    assert not any(token_works(token) for token in tokens)


async def test_sign_out_everywhere_without_the_tokens_keeps_them():
    make_user("alice")
    here, token = make_session("alice"), make_token("alice")
    await call(state(SettingsState, here), "sign_out_everywhere", False)
    assert not live(here) and token_works(token)


# --- the sign-in limit ------------------------------------------------------------------------


def sign_in(name: str, password: str, address: str) -> None:
    with session_scope() as db:
        auth.authenticate(db, name, password, address)


def failed_sign_ins(name: str, address: str, count: int, last_s_ago: float) -> None:
    """``count`` failures of the pair, the newest ``last_s_ago`` seconds ago, the others older."""
    now = utcnow()
    with session_scope() as db:
        for i in range(count):
            db.add(LoginFailure(username=name, address=address, at=now - timedelta(seconds=last_s_ago + i)))


def test_failures_from_another_address_never_lock_the_name_out():
    make_user("root", Role.admin)
    for _ in range(20):
        with pytest.raises((NotAuthenticated, RateLimited)):
            sign_in("root", "guess", "203.0.113.7")
    with pytest.raises(RateLimited):
        sign_in("root", PASSWORD, "203.0.113.7")
    sign_in("root", PASSWORD, "192.168.1.10")


@pytest.mark.parametrize(
    ("failures", "last_s_ago", "limited"),
    [
        (5, 0, True),  # after MF_LOGIN_MAX_FAILURES (5): 2 s...
        (5, 10, False),
        (7, 1, True),  # ...doubling per failure: 8 s after the 7th
        (7, 20, False),
        (40, 200, True),  # capped at MF_LOGIN_MAX_DELAY (300 s), not 2 * 2**35 s
        (40, 400, False),
    ],
)
def test_the_wait_after_failures_doubles_and_is_capped(failures, last_s_ago, limited):
    make_user("alice")
    failed_sign_ins("alice", "10.0.0.5", failures, last_s_ago)
    if limited:
        with pytest.raises(RateLimited, match="Try again in"):
            sign_in("alice", PASSWORD, "10.0.0.5")
    else:
        sign_in("alice", PASSWORD, "10.0.0.5")


async def test_the_current_password_check_in_settings_is_limited_like_a_sign_in():
    make_user("alice")
    settings = state(SettingsState, make_session("alice"))
    wrong = {"current": "guess", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    for _ in range(5):
        assert is_error_toast(await call(settings, "change_password", wrong))
    right = {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    refused = await call(settings, "change_password", right)
    assert is_error_toast(refused) and "Try again in" in str(refused)
    sign_in("alice", PASSWORD, "10.9.9.9")  # unchanged


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(setting):
    assert clients.client_address("10.0.0.2", "198.51.100.4") == "10.0.0.2"
    setting("MF_TRUSTED_PROXIES", "10.0.0.0/24, 172.18.0.1")
    assert clients.client_address("10.0.0.2", "198.51.100.4") == "198.51.100.4"
    # a client's own header value sits left of what the proxies appended: never reached
    assert clients.client_address("10.0.0.2", "6.6.6.6, 198.51.100.4, 172.18.0.1") == "198.51.100.4"
    assert clients.client_address("192.0.2.1", "198.51.100.4") == "192.0.2.1"


async def login(peer: str, password: str, forwarded_for: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_api(), client=(peer, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://mf.test") as http:
        body = {"username": "root", "password": password}
        return await http.post("/auth/login", json=body, headers={"X-Forwarded-For": forwarded_for})


async def test_x_forwarded_for_counts_only_behind_a_trusted_proxy_where_each_client_has_its_own_limit(setting):
    make_user("root", Role.admin)
    for n in range(5):  # a peer that is no trusted proxy cannot dodge the limit with a forged header
        assert (await login("192.0.2.50", "guess", f"198.51.100.{n}")).status_code == 401
    assert (await login("192.0.2.50", PASSWORD, "198.51.100.99")).status_code == 429
    setting("MF_TRUSTED_PROXIES", "10.0.0.2")
    for _ in range(5):
        assert (await login("10.0.0.2", "guess", "203.0.113.9")).status_code == 401
    assert (await login("10.0.0.2", PASSWORD, "203.0.113.9")).status_code == 429
    assert (await login("10.0.0.2", PASSWORD, "198.51.100.4, 203.0.113.9")).status_code == 429, "spoof ignored"
    assert (await login("10.0.0.2", PASSWORD, "198.51.100.4")).status_code == 200


# --- the first and the last admin are atomic ----------------------------------------------------


def waiting_backends() -> int:
    with session_scope() as db:
        return db.exec(  # type: ignore[call-overload]
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()


def race(lock_sql: str, *contenders: Callable[[], Any]) -> list[Any]:
    """Run the contenders in threads while ``lock_sql`` holds what they need; let go once each is
    blocked in PostgreSQL (or done), so they truly overlap; returns their results."""
    with get_engine().connect() as holder, ThreadPoolExecutor(len(contenders)) as pool:
        holder.execute(text(lock_sql))
        futures: list[Future] = [pool.submit(contender) for contender in contenders]
        wait_for(
            lambda: waiting_backends() >= len(contenders) or any(f.done() for f in futures),
            60,
            interval=0.02,
            message="the contenders never blocked",
        )
        holder.commit()
        return [future.result(timeout=60) for future in futures]


def in_thread(instance, event: str, *args) -> Callable[[], Any]:
    return lambda: asyncio.run(call(instance, event, *args))


def users() -> list[tuple[str, Role, bool]]:
    with session_scope() as db:
        return [(u.username, u.role, u.disabled) for u in db.exec(select(User).order_by(User.username)).all()]


def test_two_first_admins_at_once_from_the_setup_page_cannot_both_win():
    forms = [{"username": name, "password": PASSWORD, "confirm": PASSWORD} for name in ("first", "second")]
    race(
        'LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE',
        *(in_thread(state(SetupState), "create_admin", form) for form in forms),
    )
    [(name, role, _)] = users()
    assert name in ("first", "second") and role == Role.admin


def test_an_app_and_a_worker_preparing_together_create_one_first_admin():
    base = get_settings()
    starts = [replace(base, admin_user=name, admin_password=PASSWORD) for name in ("from-app", "from-worker")]
    race('LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE', *(lambda s=s: bootstrap.prepare(s) for s in starts))
    [(name, role, _)] = users()
    assert name in ("from-app", "from-worker") and role == Role.admin


@pytest.mark.parametrize(("event", "value"), [("set_role", "user"), ("set_disabled", True)])
def test_two_admins_demoting_or_disabling_each_other_at_once_leave_one(event, value):
    ids = {name: make_user(name, Role.admin) for name in ("ann", "bob")}
    ann, bob = state(SettingsState, make_session("ann")), state(SettingsState, make_session("bob"))
    race(
        'SELECT id FROM "user" FOR NO KEY UPDATE',
        in_thread(ann, event, ids["bob"], value),
        in_thread(bob, event, ids["ann"], value),
    )
    admins = [name for name, role, disabled in users() if role == Role.admin and not disabled]
    assert len(admins) == 1


# --- the event loop stays free ----------------------------------------------------------------------


async def test_an_event_waiting_on_the_database_leaves_the_event_loop_free():
    """While a state event's SQL waits on a row lock, other work on the loop goes on (the old
    handlers ran their SQL on the loop, freezing every tab of the app until it finished)."""
    alice = make_user("alice")
    with session_scope() as db:
        job = DownloadJob(url="https://example.com/v", requested_by=alice)
        db.add(job)
        db.flush()
        job_id = job.id
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def hold() -> None:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT id FROM download_job WHERE id = :id FOR UPDATE"), {"id": job_id})
            locked.set()
            outcome["released_by_the_loop"] = release.wait(timeout=30)  # fail-safe for a frozen loop
            conn.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait()
    event = asyncio.ensure_future(call(state(DashboardState, make_session("alice")), "cancel", job_id))

    async def event_waits_on_the_row() -> bool:
        if await asyncio.to_thread(waiting_backends) >= 1:
            return True
        assert not event.done(), "the event finished without waiting: the loop was blocked meanwhile"
        return False

    await wait_for_async(event_waits_on_the_row, interval=0.02)
    release.set()
    await event
    holder.join()
    assert outcome["released_by_the_loop"]
    with session_scope() as db:
        assert db.get(DownloadJob, job_id).status == JobStatus.cancelled
