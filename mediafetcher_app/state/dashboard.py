"""The dashboard: the signed-in user's downloads, kept live by the broadcaster."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, intake, jobs
from worker.client import put_download

from . import broadcaster
from .auth import AuthState
from .dashboard_view import BatchRow, Counters, EventRow, Health, JobRow, Snapshot, view
from .guard import Caller, guarded_event, session_cookie


class DashboardState(AuthState):
    """The job list lives in two vars, each sent only when it changed: a progress tick sends the
    active jobs, never the history again, and a counter change sends three numbers."""

    active_jobs: list[JobRow] = []
    history: list[JobRow] = []
    counters: Counters = Counters(active=0, done=0, failed=0)
    events: list[EventRow] = []
    health: Health = Health(
        database=False,
        queue=False,
        workers=0,
        worker_age="",
        workers_ok=False,
        disk_free="",
        disk_used="",
        disk_total="",
        disk_percent=0,
        engines_ok=True,
        engines="",
    )
    batches: list[BatchRow] = []
    checking: list[str] = []
    loaded: bool = False

    def _show(self, shown: Snapshot) -> None:
        """Assign only the vars whose value changed: Reflex sends every assigned var in full."""
        fresh = {
            "active_jobs": [job for job in shown.jobs if job["active"]],
            "history": [job for job in shown.jobs if not job["active"]],
            "counters": shown.counters,
            "events": shown.events,
            "health": shown.health,
            "batches": shown.batches,
            "checking": shown.checking,
            "loaded": True,
        }
        for name, value in fresh.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    @guarded_event
    async def load(self, caller: Caller):
        """on_load: first snapshot, then live updates through the broadcaster."""
        self._show(await caller.run(view))
        broadcaster.subscribe(self.router.session.client_token, session_cookie(self.router.headers.cookie))

    @guarded_event
    async def cancel(self, caller: Caller, job_id: int):
        def cancel_and_view(db: DBSession, who: auth.Principal) -> Snapshot:
            jobs.request_cancel(db, who, job_id)
            return view(db, who)

        self._show(await caller.run(cancel_and_view))
        return rx.toast.info("Download cancelled")

    @guarded_event
    async def retry(self, caller: Caller, job_id: int):
        await intake.retry(caller.run, put_download, job_id)
        self._show(await caller.run(view))
        return rx.toast.success("Retrying")


async def live_updates(app: rx.App) -> None:
    """The app's lifespan task: the broadcaster pushing into open dashboards."""
    await broadcaster.run(app, DashboardState)
