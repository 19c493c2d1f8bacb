"""The "add URL" box on every page: validates, stores the job, enqueues it."""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.core import jobs
from mediafetcher_app.core.errors import DomainError
from worker.client import enqueue_stored

from .auth import AuthState
from .guard import Caller, guarded_event


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

    @guarded_event
    async def submit(self, caller: Caller, form: dict[str, str]):
        """Form submit (Enter or the button)."""
        raw, audio_only = (form.get("url") or self.url).strip(), self.audio_only
        self.busy = True
        yield
        try:
            job_id = await caller.run(lambda db, who: jobs.create_job(db, who, raw, audio_only=audio_only).id)
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
