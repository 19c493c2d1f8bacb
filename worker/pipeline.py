"""One download job from claim to ``done`` or ``failed`` (docs/ARCHITECTURE.md §4).

yt-dlp probes first and, for video and audio, downloads in the same process. Images (or pages
yt-dlp cannot read) go to gallery-dl; whichever engine fails, the other one tries. Transient
errors retry with exponential backoff (tenacity). A watcher polls the job row twice a second:
a cancel (or the job being re-queued to another worker) stops the engine's process group and
removes the tmp dir. Every write carries the run's ``jobs.Owner``, so a run that lost its job
changes nothing; the last write waits out a short database outage instead of leaving the row
active. Database round trips run in threads (``in_thread``): the event loop carries every job of
the worker, and one job's wait for PostgreSQL must not hold the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session as DBSession
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from mediafetcher_app.core import events, jobs, media_records, storage
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.egress_policy import EgressRefused
from mediafetcher_app.core.engine_setup import ytdlp_equipment
from mediafetcher_app.core.errors import InvalidInput
from mediafetcher_app.core.models import DownloadJob, JobStatus, utcnow
from mediafetcher_app.core.settings import WorkerKnobs, egress_settings, get_settings, worker_knobs
from mediafetcher_app.core.urls import check_destination, validate_url

from . import cookie_dirs, finalise
from .cookies import job_cookie_file
from .engines import direct
from .engines.protocol import STOP, Action, Event, Message, Stage, command
from .engines.runner import run_engine
from .errors import JobCancelled, PipelineError, classify
from .routing import AUDIO, DIRECT, GALLERYDL, IMAGE, IMAGE_EXTS, YTDLP, Route, choose

log = logging.getLogger(__name__)
T = TypeVar("T")

MODULES = {YTDLP: "worker.engines.child_ytdlp", GALLERYDL: "worker.engines.child_gallerydl"}
PROGRESS_INTERVAL_S = 0.5
WATCH_INTERVAL_S = 0.5
AUTO = "auto"  # yt-dlp probes and picks the mode itself
FINAL_WRITE_PATIENCE_S = 120  # how long the last write of a run waits for the database to answer


@dataclass
class Outcome:
    media_ids: list[int] = field(default_factory=list)
    handoff: bool = False  # the probe routed the URL to gallery-dl
    archived: bool = False  # every item was already in the library: nothing to download


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, PipelineError) and exc.transient


class JobRun:
    """One job while it runs (not a Reflex state): its row, tmp dir, attempt log and throttled progress."""

    def __init__(self, job: DownloadJob) -> None:
        assert job.id is not None
        self.job = job
        self.job_id: int = job.id
        self.settings = get_settings()
        self.engines: WorkerKnobs = worker_knobs()
        self.tmp: Path = storage.job_tmp_dir(self.job_id)
        self.worker_id: str = job.worker_id or cookie_dirs.NO_WORKER
        self.cookiefile: Path | None = None
        self.attempt_log: list[dict[str, Any]] = list(job.attempt_log or [])
        self.status = JobStatus.probing
        self.cancelled = False
        self.owner = jobs.Owner(job.worker_id, job.attempts)
        self.stop = threading.Event()  # set when the run is stopped: finalise's thread checks it
        self.guard = finalise.JobGuard(self.job_id, self.owner, self.stop)
        # the first progress write comes a throttle interval after the start, as every later one:
        # a job that ends sooner (most images) never writes progress the dashboard could not show
        self._started = self._last_progress = time.monotonic()
        self._unsaved: dict[str, Any] = {}  # a successful attempt's entry, written with the next write
        self.engine_versions: dict[str, str] = {}  # engine -> the version that ran (the probe says)

    # -- the job row -------------------------------------------------------------------------

    async def write(self, status: JobStatus | None = None, **fields: Any) -> None:
        """Update the row; a job that ended or left this run meanwhile (cancel, re-queue) stops it."""
        self.status = status or self.status
        fields, self._unsaved = {**self._unsaved, **fields}, {}
        if not await in_thread(self._transition, self.status, fields):
            self.cancelled = True
            raise JobCancelled()

    def _transition(self, status: JobStatus, fields: dict[str, Any]) -> bool:
        with session_scope() as db:
            return jobs.transition(db, self.job_id, status, owner=self.owner, **fields)

    async def final_write(self, write: Callable[[DBSession], bool]) -> bool:
        """The last write of a run, tried again while the database does not answer (bounded): a
        row must not stay active because PostgreSQL was away for a moment. Returns ``write``'s
        answer (False: the job was no longer this run's)."""
        retrying = AsyncRetrying(
            stop=stop_after_delay(FINAL_WRITE_PATIENCE_S),
            wait=wait_exponential(multiplier=0.2, max=5),
            retry=retry_if_exception_type((OperationalError, InterfaceError)),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )
        async for try_ in retrying:
            with try_:
                return await in_thread(_in_session, write)
        raise AssertionError("unreachable: tenacity reraises")

    async def progress(self, event: Message) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        stage = event.get("stage") or Stage.DOWNLOADING
        await self.write(
            JobStatus.processing if stage == Stage.CONVERTING else JobStatus.downloading,
            stage=str(stage),
            progress_bytes=event.get("bytes"),
            progress_total=event.get("total"),
            speed_bps=event.get("speed"),
            eta_s=event.get("eta"),
        )

    async def record_attempt(self, engine: str, mode: str, stage: str, error: PipelineError | None) -> None:
        """Log one engine attempt. A failed one is written at once; a successful one rides on the
        run's next write (the last one at the latest: ``saved_attempts``), one round trip less."""
        entry = {"engine": engine, "mode": mode, "stage": stage, "at": utcnow().isoformat(), "ok": error is None}
        if engine in self.engine_versions:
            entry["version"] = self.engine_versions[engine]
        if error is not None:
            entry |= {"error": error.message, "detail": error.detail[-1000:], "transient": error.transient}
        self.attempt_log.append(entry)
        self._unsaved = {"engine": engine, "attempt_log": list(self.attempt_log)}
        if error is not None:
            await self.write()

    def saved_attempts(self) -> dict[str, Any]:
        """The attempt log and engine for the run's last write (with what publishing added)."""
        return {**self._unsaved, "attempt_log": list(self.attempt_log)} if self.attempt_log else {}

    # -- the pipeline ------------------------------------------------------------------------

    def check_url(self) -> None:
        """Blocking (DNS): run it in a thread."""
        try:
            check_destination(validate_url(self.job.url))
        except InvalidInput as exc:
            raise PipelineError(exc.message, f"refused {self.job.url!r}") from exc
        except EgressRefused as exc:
            raise PipelineError(exc.message, self.job.url, rank=4) from exc

    async def run(self) -> list[int]:
        await asyncio.to_thread(self.check_url)
        self.tmp = storage.fresh_job_tmp_dir(self.job_id)
        direct_image = not self.job.audio_only and is_direct_image(self.job.url)
        if known := await in_thread(self._prepare, direct_image):
            await self.record_attempt(DIRECT, IMAGE, "archived", None)
            return known
        plan = self.plan(direct_image)
        errors: list[PipelineError] = []
        for route in plan:
            try:
                outcome = await self.attempt(route)
            except PipelineError as exc:
                errors.append(exc)
                continue
            if not outcome.handoff:
                return outcome.media_ids
            # the probe sent it to gallery-dl (next in the plan); should that fail, yt-dlp takes it as is
            plan.append(Route(YTDLP, IMAGE))
        raise max(errors, key=lambda e: e.rank)  # max keeps the first of equal rank

    def _prepare(self, direct_image: bool) -> list[int]:
        """What the run reads before an engine starts, in one session: the media of a direct image
        link already archived (then there is nothing to fetch), else the job's cookie file."""
        with session_scope() as db:
            item = {"media_url": self.job.url, "id": self.job.url}
            known = self._archived_in(db, [item]) if direct_image else {}
            if not known:
                folder = cookie_dirs.fresh(self.worker_id, str(self.job_id))
                self.cookiefile = job_cookie_file(db, self.job.url, folder, self.job.requested_by)
        return self._link(known)

    def plan(self, direct_image: bool) -> list[Route]:
        """The engines to try, in order: when one fails, the next takes the URL (docs/ARCHITECTURE.md §4.4)."""
        if self.job.audio_only:
            return [Route(YTDLP, AUDIO)]  # only yt-dlp makes MP3; gallery-dl has no sound to offer
        if direct_image:
            # a direct image link needs no probe and no engine process; the engines are its fallbacks
            return [Route(DIRECT, IMAGE), Route(GALLERYDL, IMAGE), Route(YTDLP, IMAGE)]
        return [Route(YTDLP, AUTO), Route(GALLERYDL, IMAGE)]

    async def attempt(self, route: Route) -> Outcome:
        """One engine, retried on transient errors."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.engines.retry_limit),
            wait=wait_exponential(multiplier=self.engines.retry_backoff_s, max=60),
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        try:
            async for try_ in retrying:
                with try_:
                    return await self.run_engine_once(route)
        except PipelineError as exc:
            if exc.transient and self.engines.retry_limit > 1:
                raise exc.after_tries(self.engines.retry_limit) from exc
            raise
        raise AssertionError("unreachable: tenacity reraises")

    def engine_config(self) -> dict[str, Any]:
        return {
            "url": self.job.url,
            "tmp": str(self.tmp),
            **ytdlp_equipment(),  # ffmpeg_location (with ffprobe) and js_runtimes
            "socket_timeout": self.engines.socket_timeout_s,
            "max_bytes": self.settings.max_file_bytes,
            "cookiefile": str(self.cookiefile) if self.cookiefile else None,
            "ca_file": egress_settings().upstream_proxy_ca,
            "max_items": self.job.max_items,
            "preset": self.job.preset,
        }

    async def run_engine_once(self, route: Route) -> Outcome:
        if route.engine == DIRECT:
            return await self.run_direct(route)
        outcome = Outcome()

        async def on_event(event: Message) -> Message | None:
            if event["event"] == Event.PROGRESS:
                await self.progress(event)
            elif event["event"] == Event.PROBE:
                return await self.decide(event, route, outcome)
            return None

        run = await run_engine(MODULES[route.engine], self.engine_config(), on_event)
        if run.error is not None or run.returncode != 0:
            text = str((run.error or {}).get("message") or run.stderr_tail)
            if run.error is None and run.returncode < 0:
                text = f"The engine process was killed (signal {-run.returncode}).\n{text}"
            stage = str((run.error or {}).get("stage") or "engine")
            error = classify(text, self.job.url, self.settings.max_file_bytes)
            await self.record_attempt(route.engine, route.mode, stage, error)
            raise error
        if outcome.handoff or outcome.archived:
            await self.record_attempt(route.engine, route.mode, "archived" if outcome.archived else "probe", None)
            return outcome
        produced = [
            (finalise.Produced(Path(event["path"]), event.get("meta") or {}), event.get("conversion") or {})
            for event in run.files
        ]
        outcome.media_ids = await self.publish(route, produced)
        return outcome

    async def run_direct(self, route: Route) -> Outcome:
        async def on_progress(done: int, total: int | None) -> None:
            await self.progress({"stage": "downloading", "bytes": done, "total": total})

        try:
            path = await direct.fetch(
                self.job.url,
                self.tmp,
                cookiefile=self.cookiefile,
                timeout_s=self.engines.socket_timeout_s,
                max_bytes=self.settings.max_file_bytes,
                on_progress=on_progress,
            )
        except PipelineError as error:
            await self.record_attempt(route.engine, route.mode, "download", error)
            raise
        meta = {"media_url": self.job.url, "id": self.job.url, "title": path.stem}
        return Outcome(await self.publish(route, [(finalise.Produced(path, meta), {})]))

    async def publish(self, route: Route, produced: list[tuple[finalise.Produced, dict[str, str]]]) -> list[int]:
        """Finalise every file of a successful engine run; returns their media ids. The stage is
        written only for a run old enough to have been shown (as progress is): a quick job (most
        images) goes from its start to done without a write the dashboard could not show."""
        if time.monotonic() - self._started >= PROGRESS_INTERVAL_S:
            await self.write(JobStatus.processing, stage="finalising")
        media_ids = []
        for item, conversion in produced:
            try:
                media_id = await self.finalise(item)
            except JobCancelled:
                self.cancelled = True
                raise
            except PipelineError as error:
                await self.record_attempt(route.engine, route.mode, "finalise", error)
                raise
            if conversion:
                self.attempt_log.append({"file": item.path.name, "media_id": media_id, **conversion})
            media_ids.append(media_id)
        await self.record_attempt(route.engine, route.mode, "download", None)
        return media_ids

    async def finalise(self, item: finalise.Produced) -> int:
        """``finalise.publish`` in a thread. A thread cannot be cancelled: when the run is (cancel,
        timeout, worker stop), ``stop`` tells the thread to stop before the move and the commit,
        and the run waits for it, so nothing lands in ``final/`` and tmp is not removed under it."""
        return await in_thread(
            finalise.publish,
            item,
            page_url=self.job.url,
            folder_id=self.job.folder_id,
            guard=self.guard,
            preset=self.job.preset,
            stop=self.stop,
        )

    async def archived(self, items: list[dict[str, Any]]) -> dict[str, list[int]]:
        """``{item id: media ids}`` for items whose (platform, external_id) is already stored as the
        kind this job wants (the sound of an archived video is not archived yet); the job is linked
        to them at once."""
        return await in_thread(self._archived, items)

    def _archived(self, items: list[dict[str, Any]]) -> dict[str, list[int]]:
        with session_scope() as db:
            found = self._archived_in(db, items)
        self._link(found)
        return found

    def _archived_in(self, db: DBSession, items: list[dict[str, Any]]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for item in items:
            platform, external_id = finalise.identity(item, self.job.url)
            if external_id is None:
                continue
            kind = AUDIO if self.job.audio_only else item.get("kind")
            if media_ids := media_records.archived_media_ids(db, platform, external_id, kind, self.job.preset):
                found[str(item.get("id"))] = media_ids
        return found

    def _link(self, found: dict[str, list[int]]) -> list[int]:
        """Link the job to the archived media ``found``; returns their ids."""
        ids = sorted({media_id for media_ids in found.values() for media_id in media_ids})
        if ids:
            finalise.link_archived(ids, folder_id=self.job.folder_id, guard=self.guard)
        return ids

    async def decide(self, probe: Message, route: Route, outcome: Outcome) -> Message:
        """Answer yt-dlp's probe: skip archived items, hand images to gallery-dl, pick the mode."""
        items: list[dict[str, Any]] = probe.get("items") or []
        if probe.get("engine_version"):
            self.engine_versions[route.engine] = str(probe["engine_version"])
        archived = await self.archived(items)
        outcome.media_ids.extend(sorted({media_id for found in archived.values() for media_id in found}))
        remaining = [item for item in items if str(item.get("id")) not in archived]
        if items and not remaining:
            outcome.archived = True
            return STOP
        mode = route.mode
        if mode == AUTO:
            chosen = choose([str(item["kind"]) for item in remaining])
            if chosen.engine != YTDLP:
                outcome.handoff = True
                return STOP
            mode = chosen.mode
        await self.write(JobStatus.downloading, stage="downloading")
        return command(Action.DOWNLOAD, mode=mode, skip=list(archived))


def is_direct_image(url: str) -> bool:
    return urlsplit(url).path.rsplit(".", 1)[-1].lower() in IMAGE_EXTS


async def run_job(job: DownloadJob) -> str:
    """Run a claimed job to its end state; returns that state's name (Arq keeps it as the result)."""
    job_run = JobRun(job)
    main = asyncio.create_task(job_run.run())
    watcher = asyncio.create_task(_watch_for_cancel(job_run, main))
    try:
        async with asyncio.timeout(job_run.settings.job_timeout_s):
            media_ids = await main
        if not await job_run.final_write(lambda db: _finish(db, job_run, media_ids)):
            raise JobCancelled()
        return JobStatus.done.value
    except (JobCancelled, asyncio.CancelledError) as stopped:
        if isinstance(stopped, asyncio.CancelledError) and not job_run.cancelled:
            raise  # the worker itself is stopping: the row stays active and reconcile re-queues it
        log.info("job %s was cancelled or is no longer this worker's", job_run.job_id)
        return JobStatus.cancelled.value
    except TimeoutError:
        minutes = job_run.settings.job_timeout_s / 60
        message = f"The download took longer than this server's limit of {minutes:g} minutes."
        await _fail(job_run, message, "job timeout")
        return JobStatus.failed.value
    except PipelineError as error:
        await _fail(job_run, error.message, error.detail, error.action)
        return JobStatus.failed.value
    except Exception as exc:
        log.exception("job %s failed unexpectedly", job_run.job_id)
        await _fail(job_run, "The download failed because of an error on this server.", repr(exc))
        return JobStatus.failed.value
    finally:
        job_run.stop.set()
        watcher.cancel()
        if not main.done():
            main.cancel()
        storage.remove_job_tmp_dir(job_run.job_id)
        cookie_dirs.remove(job_run.worker_id, str(job_run.job_id))


async def in_thread(function: Callable[..., T], *args: Any, stop: threading.Event | None = None, **kwargs: Any) -> T:
    """``function`` (blocking: a database round trip, a file's checks) in a thread, off the event
    loop. A thread cannot be cancelled: a cancelled caller sets ``stop`` (for work that checks it),
    waits for the thread to end and then re-raises, so the work lands before the run's end, as it
    would have inline."""
    work = asyncio.ensure_future(asyncio.to_thread(function, *args, **kwargs))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        if stop is not None:
            stop.set()
        await _wait_out(work)
        raise


def _in_session(write: Callable[[DBSession], T]) -> T:
    with session_scope() as db:
        return write(db)


async def _wait_out(work: asyncio.Future[Any]) -> None:
    """Wait until ``work`` is done, even through further cancellations (their caller re-raises)."""
    while not work.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({work})
    if not work.cancelled():
        work.exception()  # retrieved: its outcome no longer matters


async def _watch_for_cancel(job_run: JobRun, main: asyncio.Task[list[int]]) -> None:
    """Stop ``main`` (and so kill the engine's process group) once the row says cancelled, or the
    job went back to the queue and is no longer this run's."""
    while not main.done():
        await asyncio.sleep(WATCH_INTERVAL_S)
        try:
            still_ours = await in_thread(_in_session, lambda db: jobs.is_running(db, job_run.job_id, job_run.owner))
        except (OperationalError, InterfaceError):
            continue  # the database is away: the run's own writes will tell
        if not still_ours:
            job_run.cancelled = True
            job_run.stop.set()
            main.cancel()
            return


async def _fail(job_run: JobRun, message: str, detail: str, action: str = "") -> None:
    saved = job_run.saved_attempts()
    await job_run.final_write(
        lambda db: jobs.fail(db, job_run.job_id, message, detail, owner=job_run.owner, action=action, **saved)
    )


def _finish(db: DBSession, job_run: JobRun, media_ids: list[int]) -> bool:
    done = jobs.transition(
        db,
        job_run.job_id,
        JobStatus.done,
        owner=job_run.owner,
        **job_run.saved_attempts(),
        stage=None,
        eta_s=None,
        speed_bps=None,
        error_message=None,
        error_action=None,
        error_detail=None,
    )
    if not done:
        return False
    count = len(set(media_ids))
    what = "1 file" if count == 1 else f"{count} files"
    events.record(
        db,
        "finished",
        f"Downloaded {what} from {job_run.job.url}",
        job_id=job_run.job_id,
        media_id=media_ids[0] if count == 1 else None,
    )
    return True
