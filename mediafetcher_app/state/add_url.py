"""The "add URL" box on every page: validates, stores the job, enqueues it."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError
from worker.client import enqueue_stored

from .auth import AuthState


class AddUrlState(AuthState):
    url: str = ""
    busy: bool = False
    audio_only: bool = False

    @rx.event
    def set_url(self, value: str) -> None:
        self.url = value

    @rx.event
    def toggle_audio_only(self) -> None:
        self.audio_only = not self.audio_only

    @rx.event
    async def submit(self, form: dict[str, str]):
        """Form submit (Enter or the button)."""
        raw = (form.get("url") or self.url).strip()
        self.busy = True
        yield
        try:
            who = self._principal()
            with session_scope() as db:
                job_id = jobs.create_job(db, who, raw, audio_only=self.audio_only).id
            assert job_id is not None
            await enqueue_stored(job_id)
        except DomainError as exc:
            yield self._refuse(exc)
            return
        finally:
            self.busy = False  # whatever fails, the box is usable again
        self.url = ""
        kind = "Added to the queue (audio only)" if self.audio_only else "Added to the queue"
        yield rx.toast.success(kind, description=raw[:120])
