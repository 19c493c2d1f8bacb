"""Failures say why, in a sentence; transient ones retry, permanent ones fail at once."""

from __future__ import annotations

import pytest

from mediafetcher_app.core.egress_policy import PRIVATE_ADDRESS
from mediafetcher_app.core.settings import get_settings
from tests.fixtures.pipeline import media_of, run


def engines_tried(job) -> list[str]:
    return [entry["engine"] for entry in job.attempt_log if "engine" in entry]


async def test_404_fails_at_once_with_the_status(server):
    job = await run(server.url("/media/missing.mp4"))
    assert job.status == "failed"
    assert job.error_message == "The server returned 404: the page or file does not exist."
    assert "404" in job.error_detail
    # each engine tried once (404 is permanent), and each attempt is on the job
    assert engines_tried(job) == ["yt-dlp", "gallery-dl"]
    assert all(entry["error"] and entry["stage"] for entry in job.attempt_log)
    assert media_of(job.id) == []


async def test_page_without_media(server):
    job = await run(server.url("/page/empty.html"))
    assert job.status == "failed"
    assert job.error_message == "This page has no video or image."
    assert engines_tried(job) == ["yt-dlp", "gallery-dl"]


async def test_server_errors_are_retried_then_fail(server):
    job = await run(server.url("/status/503"))
    assert job.status == "failed"
    assert job.error_message == "The site had an internal error (503). Tried 2 times, waiting longer each time."
    # MF_RETRY_LIMIT=2 per engine in tests
    assert engines_tried(job) == ["yt-dlp", "yt-dlp", "gallery-dl", "gallery-dl"]
    assert all(entry["transient"] for entry in job.attempt_log)


async def test_a_server_that_never_answers_times_out(server, monkeypatch):
    monkeypatch.setenv("MF_ENGINE_SOCKET_TIMEOUT", "1")
    monkeypatch.setenv("MF_RETRY_LIMIT", "1")
    job = await run(server.url("/slow/media/h264.mp4"))
    assert job.status == "failed"
    assert job.error_message == "127.0.0.1 did not answer in time."


async def test_file_above_the_size_limit_is_refused(server, monkeypatch):
    monkeypatch.setenv("MF_MAX_FILE_BYTES", "10000")
    get_settings.cache_clear()
    try:
        job = await run(server.url("/media/h264.mp4"))
    finally:
        monkeypatch.delenv("MF_MAX_FILE_BYTES")
        get_settings.cache_clear()
    assert job.status == "failed"
    assert job.error_message == "The file is larger than this server's limit of 9.8 KB."
    assert list(get_settings().final_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.1/file.mp4", "Only http:// and https:// links can be downloaded, not 'ftp'."),
        (None, PRIVATE_ADDRESS),
    ],
)
async def test_refused_urls(server, monkeypatch, url, message):
    """Checked again by the worker: the job may predate the setting, or come from the CLI."""
    from sqlalchemy import update

    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import DownloadJob
    from tests.fixtures.pipeline import job_row, new_job
    from worker.tasks import download

    job_id = new_job(server.url("/media/h264.mp4"))
    if url is not None:
        with session_scope() as db:
            db.exec(update(DownloadJob).where(DownloadJob.id == job_id).values(url=url))
    monkeypatch.setenv("MF_BLOCK_PRIVATE_URLS", "1")
    get_settings.cache_clear()
    try:
        await download({"worker_id": "test-worker"}, job_id)
    finally:
        monkeypatch.delenv("MF_BLOCK_PRIVATE_URLS")
        get_settings.cache_clear()
    job = job_row(job_id)
    assert job.status == "failed" and job.error_message == message
    assert server.requests == []
