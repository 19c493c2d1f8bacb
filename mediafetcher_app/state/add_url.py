"""The "add URL" box on every page: validates, stores the job, enqueues it."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError
from worker.client import enqueue

from .auth import AuthState


class AddUrlState(AuthState):
    url: str = ""
    busy: bool = False

    @rx.event
    def set_url(self, value: str) -> None:
        self.url = value

    @rx.event
    async def submit(self, form: dict[str, str]):
        """Form submit (Enter or the button)."""
        raw = (form.get("url") or self.url).strip()
        self.busy = True
        yield
        try:
            who = self._principal()
            with session_scope() as db:
                job_id = jobs.create_job(db, who, raw).id
            assert job_id is not None
            await enqueue(job_id)
        except DomainError as exc:
            self.busy = False
            yield self._refuse(exc)
            return
        self.url, self.busy = "", False
        yield rx.toast.success("Added to the queue", description=raw[:120])
