"""Issue 8 item 9, live pushes follow the session: the broadcaster's push re-checks every
viewer's session and role, in one query per push, and stops at once for a viewer who signed
out or was disabled; a demoted admin's next push shows only their own jobs.

Viewers subscribe the way the dashboard does (``DashboardState.load``), and the real push
routine runs against real sessions; only the last step, writing into a browser tab's state,
is replaced by a recorder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from mediafetcher_app.core import accounts, auth
from mediafetcher_app.core.db import get_engine, session_scope
from mediafetcher_app.core.models import DownloadJob, Role
from mediafetcher_app.state import broadcaster
from mediafetcher_app.state.dashboard import DashboardState, Snapshot
from tests.factories import make_principal, make_session, make_user
from tests.states import call, state


@pytest.fixture(autouse=True)
def no_viewers() -> Iterator[None]:
    broadcaster._subscribers.clear()
    yield
    broadcaster._subscribers.clear()


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
