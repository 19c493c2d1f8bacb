"""Issue 8 item 9, live pushes follow the session: the broadcaster's push re-checks every
viewer's session and role, in one query per push, and stops at once for a viewer who signed
out or was disabled; a demoted admin's next push shows only their own jobs.

Viewers subscribe the way the dashboard does (``DashboardState.load``), and the real push
routine runs against real sessions; only the last step, writing into a browser tab's state,
is replaced by a recorder.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import event, update
from sqlmodel import col

from mediafetcher_app.core import accounts, auth
from mediafetcher_app.core.db import get_engine, session_scope
from mediafetcher_app.core.models import DownloadJob, JobStatus, Role
from mediafetcher_app.state import broadcaster
from mediafetcher_app.state.dashboard import DashboardState
from mediafetcher_app.state.dashboard_view import Snapshot
from tests.factories import make_principal, make_session, make_token, make_user
from tests.states import call, state


@pytest.fixture(autouse=True)
def no_viewers() -> Iterator[None]:
    broadcaster._subscribers.clear()
    broadcaster._shown_as.clear()
    yield
    broadcaster._subscribers.clear()
    broadcaster._shown_as.clear()


async def open_dashboard(username: str) -> str:
    """A signed-in tab of ``username`` showing the dashboard; returns its session token."""
    session = make_session(username)
    await call(state(DashboardState, session, path="/dashboard", token=f"tab-{username}"), "load")
    return session


async def pushed() -> dict[str, Snapshot]:
    """What one push of the broadcaster delivers, by tab."""
    delivered: dict[str, Snapshot] = {}

    async def deliver(token: str, view: Snapshot) -> None:
        delivered[token] = view

    await broadcaster.push(deliver)
    return delivered


def add_job(user_id: int, url: str) -> None:
    with session_scope() as db:
        db.add(DownloadJob(url=url, requested_by=user_id))


def make_job_for(username: str, url: str) -> int:
    with session_scope() as db:
        user = auth.get_user(db, username)
        job = DownloadJob(url=url, requested_by=user.id)
        db.add(job)
        db.flush()
        return job.id


async def test_signing_out_stops_the_pushes_at_once():
    make_user("alice")
    make_user("bob")
    alice = await open_dashboard("alice")
    await open_dashboard("bob")
    assert set(await pushed()) == {"tab-alice", "tab-bob"}
    with session_scope() as db:
        auth.revoke_session(db, alice)
    assert set(await pushed()) == {"tab-bob"}
    make_session("alice")  # signing in again elsewhere does not revive the old tab
    assert set(await pushed()) == {"tab-bob"}


async def test_a_disabled_user_gets_no_further_push():
    root = make_principal("root", Role.admin)
    alice = make_user("alice")
    await open_dashboard("alice")
    assert set(await pushed()) == {"tab-alice"}
    with session_scope() as db:
        accounts.set_disabled(db, root, alice, True)
    assert await pushed() == {}


async def test_a_demoted_admins_next_push_shows_only_their_own_jobs():
    other = make_principal("other", Role.admin)
    root, alice = make_user("root", Role.admin), make_user("alice")
    add_job(root, "https://example.com/root")
    add_job(alice, "https://example.com/alice")
    await open_dashboard("root")
    before = (await pushed())["tab-root"]
    assert sorted(job["url"] for job in before.jobs) == ["https://example.com/alice", "https://example.com/root"]
    with session_scope() as db:
        accounts.set_role(db, other, root, Role.user)
    after = (await pushed())["tab-root"]
    assert [job["url"] for job in after.jobs] == ["https://example.com/root"]
    assert after.counters["active"] == 1


async def test_one_query_resolves_every_viewers_session_per_push():
    for name in ("ann", "bob", "cid"):
        make_user(name)
        await open_dashboard(name)
    statements: list[str] = []

    def record(_conn, _cursor, statement: str, *_args) -> None:
        statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", record)
    try:
        assert len(await pushed()) == 3
    finally:
        event.remove(get_engine(), "before_cursor_execute", record)
    session_reads = [s for s in statements if re.search(r'\bFROM "?session"?\b', s)]
    assert len(session_reads) == 1, session_reads


def sent(tab: DashboardState) -> dict:
    """The vars of the dashboard a push would send to the browser now (Reflex's delta)."""
    delta = tab.get_delta()
    return delta.get(tab.get_full_name(), {})


async def push_into(tab: DashboardState) -> dict:
    """One real push landing in ``tab``; returns what it would send."""
    tab._clean()

    async def deliver(_token: str, view: Snapshot) -> None:
        tab._show(view)

    await broadcaster.push(deliver)
    return sent(tab)


def changed(names: dict) -> set[str]:
    return {name.split("_rx_state_")[0] for name in names}


async def test_a_push_after_a_counter_change_carries_only_the_counters():
    """The job list and the history are not re-sent when only a count moved."""
    make_user("root", Role.admin)
    old = make_job_for("root", "https://example.com/old")
    for n in range(50):  # the list shows the newest 50: the old job is not on it
        make_job_for("root", f"https://example.com/{n}")
    session = make_session("root")
    tab = state(DashboardState, session, path="/dashboard", token="tab-root")
    await call(tab, "load")
    health_before = dict(tab.health)
    with session_scope() as db:
        db.exec(update(DownloadJob).where(col(DownloadJob.id) == old).values(status=JobStatus.failed))
    payload = await push_into(tab)
    expected = {"counters"} | ({"health"} if dict(tab.health) != health_before else set())
    assert changed(payload) == expected
    assert tab.counters["failed"] == 1 and tab.counters["active"] == 50
    counters_bytes = len(json.dumps(next(v for k, v in payload.items() if k.startswith("counters"))))
    assert counters_bytes < 100


async def test_a_progress_tick_sends_the_active_jobs_once_and_never_the_history():
    make_user("root", Role.admin)
    running = make_job_for("root", "https://example.com/running")
    finished = make_job_for("root", "https://example.com/finished")
    with session_scope() as db:
        db.exec(update(DownloadJob).where(col(DownloadJob.id) == finished).values(status=JobStatus.done))
    tab = state(DashboardState, make_session("root"), path="/dashboard", token="tab-root")
    await call(tab, "load")
    health_before = dict(tab.health)
    with session_scope() as db:
        db.exec(update(DownloadJob).where(col(DownloadJob.id) == running).values(progress_bytes=5, progress_total=10))
    payload = await push_into(tab)
    assert changed(payload) - {"health"} == {"active_jobs"}
    assert "health" not in changed(payload) or dict(tab.health) != health_before
    assert [job["id"] for job in tab.history] == [finished]


async def test_a_push_after_one_users_change_rebuilds_only_their_and_admins_dashboards():
    make_user("root", Role.admin)
    alice, bob = make_user("alice"), make_user("bob")
    for name in ("root", "alice", "bob"):
        await open_dashboard(name)
    await pushed()  # every tab has had a push: the broadcaster knows who each showed
    seen = await asyncio.to_thread(broadcaster._latest_change)
    job = make_job_for("alice", "https://example.com/alice")
    changed = await asyncio.to_thread(broadcaster.changed_users, seen)
    assert changed == {alice}
    delivered: dict[str, Snapshot] = {}

    async def deliver(token: str, view: Snapshot) -> None:
        delivered[token] = view

    await broadcaster.push(deliver, changed)
    assert set(delivered) == {"tab-root", "tab-alice"}
    assert [row["id"] for row in delivered["tab-alice"].jobs] == [job]
    assert bob not in changed


async def test_a_role_change_is_pushed_even_when_the_viewers_jobs_did_not_move():
    make_principal("other", Role.admin)
    root, alice = make_user("root", Role.admin), make_user("alice")
    add_job(alice, "https://example.com/alice")
    await open_dashboard("root")
    await pushed()
    with session_scope() as db:
        accounts.set_role(db, auth.principal_for_token(db, make_token("other")), root, Role.user)
    delivered: dict[str, Snapshot] = {}

    async def deliver(token: str, view: Snapshot) -> None:
        delivered[token] = view

    await broadcaster.push(deliver, changed={alice})
    assert delivered["tab-root"].jobs == []  # no longer an admin: alice's job is gone from the tab
