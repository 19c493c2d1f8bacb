"""Issue 14 item 5: one "store then enqueue" (core/intake.py) for every path that queues a download.

The rule on its own (fake ports), then on each path the app has: the API's submit, batch and
retry, the share target, the add box (one link and a batch), the dashboard's retry, the share
page and a source's check. On every path the queue hears of a job only once its row is committed
(the fake queue reads the row from another connection), and a queue that is down never fails the
request: the job stays queued for reconcile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlmodel import select

from mediafetcher_app.api import SecurityLayer, build_api
from mediafetcher_app.core import auth, intake, jobs, subscriptions
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import InvalidInput
from mediafetcher_app.core.models import DownloadJob, JobStatus
from mediafetcher_app.state.add_url import AddUrlState
from mediafetcher_app.state.dashboard import DashboardState
from mediafetcher_app.state.share import ShareState
from tests.factories import bearer, make_session, make_token, make_user
from tests.states import call, is_error_toast, state
from worker import client, sources

BASE = "http://mf.test"


# -- the rule, with fake ports -------------------------------------------------------------------


async def test_the_queue_hears_of_the_jobs_only_after_the_store_returned():
    steps: list[str] = []

    async def stored() -> list[int]:
        steps.append("committed")
        return [1, 2]

    async def enqueue(job_id: int) -> None:
        steps.append(f"enqueued {job_id}")

    assert await intake.store_then_enqueue(stored(), list, enqueue) == [1, 2]
    assert steps == ["committed", "enqueued 1", "enqueued 2"]


async def test_a_queue_that_fails_or_hangs_does_not_fail_the_store_and_the_others_still_go(monkeypatch):
    monkeypatch.setattr(intake, "ENQUEUE_PATIENCE_S", 0.05)
    taken: list[int] = []

    async def enqueue(job_id: int) -> None:
        if job_id == 1:
            raise intake.QueueUnavailable("down")
        if job_id == 2:
            await asyncio.Event().wait()  # never answers
        taken.append(job_id)

    assert await intake.enqueue_all(enqueue, [1, 2, 3]) == 1
    assert taken == [3]


async def test_a_refused_store_enqueues_nothing():
    enqueued: list[int] = []

    async def refused() -> list[int]:
        raise InvalidInput("no")

    async def enqueue(job_id: int) -> None:
        enqueued.append(job_id)

    with pytest.raises(InvalidInput):
        await intake.store_then_enqueue(refused(), list, enqueue)
    assert enqueued == []


async def test_an_unexpected_queue_error_is_not_swallowed():
    async def stored() -> list[int]:
        return [1]

    async def broken(_job_id: int) -> None:
        raise LookupError("a bug, not an outage")

    with pytest.raises(LookupError):
        await intake.store_then_enqueue(stored(), list, broken)


# -- every path of the app goes through it -------------------------------------------------------


def _row(job_id: int) -> DownloadJob | None:
    with session_scope() as db:
        return db.get(DownloadJob, job_id)


class FakeQueue:
    """Stands in for Arq behind ``worker.client.put_download``: records the jobs it was given and
    whether each row was committed and queued at that moment; ``down`` raises as Redis would."""

    def __init__(self, down: bool) -> None:
        self.down = down
        self.seen: dict[int, JobStatus | None] = {}

    async def enqueue(self, job_id: int, pool: object = None) -> str:
        row = await asyncio.to_thread(_row, job_id)  # another connection: sees committed rows only
        self.seen[job_id] = None if row is None else row.status
        if self.down:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:9. Connection refused.")
        return f"download:{job_id}"


def alice_session() -> str:
    make_user("alice")
    return make_session("alice")


def failed_job(session: str) -> int:
    with session_scope() as db:
        job = jobs.create_job(db, auth.principal_for_session(db, session), "https://example.com/failed-once")
        assert job.id is not None
        jobs.fail(db, job.id, "it failed")
        return job.id


async def api_submit(session: str) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url=BASE) as http:
        answer = await http.post("/api/v1/downloads", json={"url": "https://example.com/v/1"}, headers=_bearer())
    assert answer.status_code == 202


async def api_batch(session: str) -> None:
    body = {"urls": ["https://example.com/v/1", "not a link", "https://example.com/v/2"]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url=BASE) as http:
        answer = await http.post("/api/v1/downloads", json=body, headers=_bearer())
    assert answer.status_code == 202 and answer.json()["queued"] == 2


async def api_retry(session: str) -> None:
    job_id = failed_job(session)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url=BASE) as http:
        answer = await http.post(f"/api/v1/downloads/{job_id}/retry", headers=_bearer())
    assert answer.status_code == 202


async def share_target(session: str) -> None:
    transport = httpx.ASGITransport(app=SecurityLayer(build_api()))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        http.cookies.set(auth.SESSION_COOKIE, session)
        answer = await http.post("/share-target", data={"url": "https://youtu.be/abc"}, headers={"Origin": BASE})
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"


async def add_box(session: str) -> None:
    steps = await call(state(AddUrlState, session), "submit", {"url": "https://example.com/v/1"})
    assert "success" in str(steps[-1])


async def add_box_batch(session: str) -> None:
    box = state(AddUrlState, session)
    steps = await call(box, "submit_batch", {"links": "https://example.com/v/1\nnot a link\nhttps://example.com/v/2"})
    assert "Queued 2 of 3 links" in str(steps[-1]) and len(box.batch_refused) == 1


async def dashboard_retry(session: str) -> None:
    job_id = failed_job(session)
    assert not is_error_toast(await call(state(DashboardState, session), "retry", job_id))


async def share_page(session: str) -> None:
    page = state(ShareState, session)
    page.link = "https://youtu.be/abc"
    steps = await call(page, "download")
    assert "/dashboard" in str(steps[-1])


async def source_check(session: str) -> None:
    with session_scope() as db:
        who = auth.principal_for_session(db, session)
        sub_id = subscriptions.create(db, who, "https://example.com/feed.xml", backfill=2).id
        assert sub_id is not None

    async def listed(_sub: object, _worker_id: str) -> tuple[str, list[subscriptions.Listed]]:
        urls = ("https://example.com/item/1", "https://example.com/item/2")
        return "Feed", [subscriptions.Listed(url=url, platform="web", external_id=url[-1]) for url in urls]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "list_source", listed)
        assert await sources.check_source({"worker_id": "test-worker"}, sub_id) == "done"


def _bearer() -> dict[str, str]:
    return bearer(make_token("alice"))


PATHS: list[Callable[[str], Awaitable[None]]] = [
    api_submit,
    api_batch,
    api_retry,
    share_target,
    add_box,
    add_box_batch,
    dashboard_retry,
    share_page,
    source_check,
]


@pytest.mark.parametrize("down", [False, True], ids=["queue up", "queue down"])
@pytest.mark.parametrize("path", PATHS, ids=[path.__name__ for path in PATHS])
async def test_each_path_stores_then_enqueues_and_a_queue_down_never_fails_it(monkeypatch, path, down):
    queue = FakeQueue(down)
    monkeypatch.setattr(client, "enqueue", queue.enqueue)
    await path(alice_session())
    with session_scope() as db:
        queued = db.exec(select(DownloadJob.id).where(DownloadJob.status == JobStatus.queued)).all()
    assert queued, "the path stored a job"
    assert queue.seen == dict.fromkeys(queued, JobStatus.queued), "each was enqueued once its row was committed"
