"""The "add URL" box on every page: validates, stores the job, enqueues it.

A link that names many posts (a playlist, a channel, a feed) asks how many to take, or can be
followed as a source instead; many links at once (a paste or a .txt file) go in one batch, each
answered on its own.
"""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth, intake, jobs, subscriptions
from mediafetcher_app.core.errors import DomainError, InvalidInput
from mediafetcher_app.core.urls import looks_like_collection
from worker.client import put_download, request_source_check

from .auth import AuthState
from .guard import Caller, guarded_event

DEFAULT_TAKE = 20  # items of a playlist pasted as a one-off, unless the user says otherwise
MAX_BATCH_TEXT = 512 * 1024  # characters of a pasted or loaded list


def _take(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit() or not 1 <= int(text) <= jobs.MAX_BATCH:
        raise InvalidInput(f"Take from 1 to {jobs.MAX_BATCH} items.", code="invalid_max_items")
    return int(text)


class AddUrlState(AuthState):
    url: str = ""
    busy: bool = False
    audio_only: bool = False
    take: str = str(DEFAULT_TAKE)
    preset: str = ""  # this download's choice; "": the user's default from Settings
    batch_open: bool = False
    batch_text: str = ""
    batch_refused: list[str] = []

    @rx.var
    def collection(self) -> bool:
        """The link looks like a playlist, channel or feed: ask how many, offer to follow."""
        return looks_like_collection(self.url)

    @rx.event
    def set_url(self, value: str) -> None:
        self.url = value

    @rx.event
    def set_take(self, value: str) -> None:
        self.take = value

    @rx.event
    def set_preset(self, value: str) -> None:
        self.preset = value

    @rx.event
    def toggle_audio_only(self) -> None:
        self.audio_only = not self.audio_only

    @rx.event
    def set_batch_open(self, value: bool) -> None:
        self.batch_open = value
        self.batch_refused = []

    @rx.event
    def set_batch_text(self, value: str) -> None:
        """The list typed, pasted or read from a .txt file (in the browser)."""
        self.batch_text = (value or "")[:MAX_BATCH_TEXT]

    @guarded_event
    async def submit(self, caller: Caller, form: dict[str, str]):
        """Form submit (Enter or the button)."""
        raw, audio_only, preset = (form.get("url") or self.url).strip(), self.audio_only, self.preset or None
        self.busy = True
        yield
        try:
            max_items = _take(self.take) if looks_like_collection(raw) else None
            await intake.submit(
                caller.run, put_download, raw, audio_only=audio_only, max_items=max_items, preset=preset
            )
        except DomainError as exc:
            yield self._refuse(exc)
            return
        finally:
            self.busy = False  # whatever fails, the box is usable again
        self.url = ""
        kind = "Added to the queue (audio only)" if self.audio_only else "Added to the queue"
        if max_items:
            kind += f", its first {max_items} items"
        yield rx.toast.success(kind, description=raw[:120])

    @guarded_event
    async def follow(self, caller: Caller):
        """ "Add as subscription": follow the link from now on, checked every hour."""
        raw, kind, preset = self.url.strip(), "audio" if self.audio_only else "video", self.preset or None

        def create(db: DBSession, who: auth.Principal) -> int:
            sub = subscriptions.create(db, who, raw, kind=kind, preset=preset)
            assert sub.id is not None
            return sub.id

        sub_id = await caller.run(create)
        await request_source_check(sub_id)
        self.url = ""
        return rx.toast.success("Following: new posts will be downloaded", description=raw[:120])

    @guarded_event
    async def submit_batch(self, caller: Caller, form: dict[str, str]):
        """Queue every link of the list; the ones refused stay listed with their reason."""
        links = jobs.links_in(form.get("links") or self.batch_text)
        audio_only, preset = self.audio_only, self.preset or None
        self.busy = True
        yield
        try:
            lines = await intake.submit_many(
                caller.run, put_download, list(links), audio_only=audio_only, preset=preset
            )
        finally:
            self.busy = False
        self.batch_refused = [f"{line.url}: {line.error}" for line in lines if line.error]
        queued = len(lines) - len(self.batch_refused)
        self.batch_text = "\n".join(line.url for line in lines if line.error)
        if not self.batch_refused:
            self.batch_open = False
        yield rx.toast.success(f"Queued {queued} of {len(lines)} links")
