"""Many links at once (issue 12 item 2): POST /api/v1/downloads with ``urls`` answers each line,
and a refused line loses nothing of the others; a pasted text yields its links."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import DownloadJob, JobStatus
from mediafetcher_app.core.queue import QUEUE_NAME
from mediafetcher_app.state import dashboard_view
from tests.factories import bearer, make_principal, make_token, make_user
from worker.client import get_pool


def stored() -> list[str]:
    with session_scope() as db:
        return [job.url for job in db.exec(select(DownloadJob).order_by(col(DownloadJob.id))).all()]


async def test_a_batch_answers_each_link_with_its_job_or_the_reason_and_queues_the_good_ones(client):
    make_user("alice")
    urls = ["https://example.com/v/1", "ftp://example.com/x", "https://example.com/v/2", 42, "  "]
    response = await client.post("/api/v1/downloads", json={"urls": urls}, headers=bearer(make_token("alice")))
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["queued"], body["refused"]) == (2, 3)
    first, ftp, second, number, blank = body["results"]
    assert first["url"] == "https://example.com/v/1" and first["error"] is None
    assert ftp["job_id"] is None and ftp["error"].startswith("Only http:// and https:// links")
    assert number == {"url": "42", "job_id": None, "error": "Paste a link that starts with http:// or https://."}
    assert blank["error"] == "Paste a link that starts with http:// or https://."
    assert stored() == ["https://example.com/v/1", "https://example.com/v/2"]
    pool = await get_pool()
    queued = {job.args[0] for job in await pool.queued_jobs(queue_name=QUEUE_NAME) if job.function == "download"}
    assert queued == {first["job_id"], second["job_id"]}


@pytest.mark.parametrize(
    "body,sentence",
    [
        ({"urls": []}, "urls: List should have at least 1 item"),
        ({"urls": ["https://example.com/"] * (jobs.MAX_BATCH + 1)}, "urls: List should have at most 500 items"),
        ({"urls": "https://example.com/"}, "urls: Input should be a valid list"),
        ({"urls": ["https://example.com/"], "folder_id": 99}, None),
    ],
)
async def test_a_batch_that_cannot_be_used_is_refused_whole_and_nothing_is_stored(client, body, sentence):
    make_user("alice")
    response = await client.post("/api/v1/downloads", json=body, headers=bearer(make_token("alice")))
    if sentence is None:  # a wrong folder refuses every line, each saying why
        assert response.json()["results"][0]["error"] == "There is no folder with id 99."
    else:
        assert response.status_code == 400 and sentence in response.json()["error"]["message"]
    assert stored() == []


def test_links_in_a_paste_or_text_file_are_one_a_line_without_blanks_comments_or_repeats():
    text = "https://a.example/1\r\n\n  https://b.example/2  \n# my list\nhttps://a.example/1\n"
    assert jobs.links_in(text) == ["https://a.example/1", "https://b.example/2"]


def test_a_batch_shows_on_the_dashboard_with_its_counts_and_how_far_its_jobs_got():
    who = make_principal("alice")
    with session_scope() as db:
        lines = jobs.create_many(db, who, ["https://example.com/1", "https://example.com/2", "mailto:x@example.com"])
    first, second = (line.job_id for line in lines[:2])
    with session_scope() as db:
        jobs.transition(db, first, JobStatus.done)
        jobs.transition(db, second, JobStatus.failed)
    with session_scope() as db:
        [row] = dashboard_view.view(db, who).batches
    assert row["label"] == "3 links"
    assert row["counts"] == "3 found · 2 queued · 1 skipped (archived, queued or refused)"
    assert (row["progress"], row["percent"], row["active"]) == ("1 done · 1 failed", 100.0, False)
    with session_scope() as db:  # someone else's batch is not on your dashboard
        assert dashboard_view.view(db, make_principal("bob")).batches == []
