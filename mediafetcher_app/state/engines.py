"""Settings > Engines (administrators): what the engines have, and their updates and rollback.

Gathering the facts takes seconds and an update minutes: the handlers are background events
(the state is not locked meanwhile) and show ``busy`` while their work runs in a thread."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypedDict

import reflex as rx

from mediafetcher_app.core import engine_admin
from mediafetcher_app.core.doctor import Check

from .auth import AuthState
from .guard import Caller, guarded_background_event


class FactRow(TypedDict):
    name: str
    ok: bool
    required: bool
    detail: str
    problem: str


class VersionRow(TypedDict):
    package: str
    active: str
    available: str
    newer: bool


def fact_rows(checks: list[Check]) -> list[FactRow]:
    return [FactRow(name=c.name, ok=c.ok, required=c.required, detail=c.detail, problem=c.problem) for c in checks]


class EnginesState(AuthState):
    facts: list[FactRow] = []
    versions: list[VersionRow] = []
    busy: str = ""  # what is running now ("" when idle)
    rollback_ready: bool = False

    async def _facts(self, caller: Caller, refresh: bool) -> None:
        rows = fact_rows(await asyncio.to_thread(engine_admin.facts, caller.who, refresh))
        ready = await asyncio.to_thread(engine_admin.rollback_ready)
        async with self:
            self.facts, self.rollback_ready = rows, ready

    @contextlib.asynccontextmanager
    async def _busy(self, what: str) -> AsyncIterator[None]:
        """``busy`` says ``what`` while the block runs."""
        async with self:
            self.busy = what
        try:
            yield
        finally:
            async with self:
                self.busy = ""

    @guarded_background_event
    async def load(self, caller: Caller, refresh: bool):
        """The facts: the last known on opening the page (``refresh``: gathered now)."""
        async with self._busy("Checking the engines…"):
            await self._facts(caller, refresh)

    @guarded_background_event
    async def check_updates(self, caller: Caller):
        async with self._busy("Looking for updates…"):
            found = await asyncio.to_thread(engine_admin.check, caller.who)
            rows = [
                VersionRow(
                    package=v.package, active=v.active or "missing", available=v.available or "not found", newer=v.newer
                )
                for v in found
            ]
            async with self:
                self.versions = rows

    @guarded_background_event
    async def update(self, caller: Caller):
        async with self._busy("Installing and self-testing the update…"):
            message = await asyncio.to_thread(engine_admin.update, caller.who)
            async with self:
                self.versions = []
            await self._facts(caller, refresh=False)
        yield rx.toast.success(message)

    @guarded_background_event
    async def rollback(self, caller: Caller):
        async with self._busy("Rolling back…"):
            message = await asyncio.to_thread(engine_admin.rollback, caller.who)
            await self._facts(caller, refresh=False)
        yield rx.toast.success(message)
