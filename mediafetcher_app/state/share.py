"""``/share``: a link from the phone's share sheet waiting for the user to confirm it.

The share target (api/webapp.py) lands here when it could not create the download itself: signed
out, a foreign origin, or a refusal to show. The job is created only by the Download tap (a
guarded event over our own websocket), never by opening the page, so a crafted link to
``/share?url=...`` queues nothing on its own.
"""

from __future__ import annotations

import reflex as rx

from mediafetcher_app.core import intake
from mediafetcher_app.core.errors import DomainError, NotAuthenticated
from worker.client import put_download

from .auth import AuthState, login_redirect
from .guard import Caller, guarded_event

PROGRESS_PAGE = "/dashboard"


class ShareState(AuthState):
    link: str = ""
    error: str = ""
    shared: str = ""
    busy: bool = False

    def _refuse(self, exc: DomainError) -> rx.event.EventSpec | None:
        """Signed out: sign in, then come back to this very share (its query kept in ``next``)."""
        if isinstance(exc, NotAuthenticated):
            url = self.router.url
            return login_redirect(f"{url.path}?{url.query}" if url.query else url.path)
        self.error = exc.message
        return None

    @guarded_event
    async def load(self, caller: Caller):
        self._know(caller)
        params = self.router.url.query_parameters
        self.link, self.error, self.shared = params.get("url", ""), params.get("error", ""), params.get("shared", "")
        self.busy = False

    @guarded_event
    async def download(self, caller: Caller):
        link = self.link
        self.busy = True
        yield
        try:
            await intake.submit(caller.run, put_download, link)
        except DomainError as exc:
            self.busy = False
            yield self._refuse(exc)
            return
        yield rx.redirect(PROGRESS_PAGE)
