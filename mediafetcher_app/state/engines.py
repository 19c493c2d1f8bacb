"""Settings > Engines (administrators): what the engines have, and their updates and rollback.

Gathering the facts takes seconds and an update minutes: the work runs in a thread, with
``busy`` shown meanwhile (the handlers stream: first the busy flag, then the result)."""

from __future__ import annotations

import asyncio
from typing import TypedDict

import reflex as rx

from mediafetcher_app.core import engine_admin
from mediafetcher_app.core.doctor import Check

from .auth import AuthState
from .guard import Caller, guarded_event


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
        self.facts, self.rollback_ready = rows, engine_admin.rollback_ready()

    @guarded_event
    async def load(self, caller: Caller, refresh: bool):
        """The facts: the last known on opening the page (``refresh``: gathered now)."""
        self.busy = "Checking the engines…"
        yield
        try:
            await self._facts(caller, refresh)
        finally:
            self.busy = ""

    @guarded_event
    async def check_updates(self, caller: Caller):
        self.busy = "Looking for updates…"
        yield
        try:
            found = await asyncio.to_thread(engine_admin.check, caller.who)
            self.versions = [
                VersionRow(
                    package=v.package, active=v.active or "missing", available=v.available or "not found", newer=v.newer
                )
                for v in found
            ]
        finally:
            self.busy = ""

    @guarded_event
    async def update(self, caller: Caller):
        self.busy = "Installing and self-testing the update…"
        yield
        try:
            message = await asyncio.to_thread(engine_admin.update, caller.who)
            self.versions = []
            await self._facts(caller, refresh=False)
        finally:
            self.busy = ""
        yield rx.toast.success(message)

    @guarded_event
    async def rollback(self, caller: Caller):
        self.busy = "Rolling back…"
        yield
        try:
            message = await asyncio.to_thread(engine_admin.rollback, caller.who)
            await self._facts(caller, refresh=False)
        finally:
            self.busy = ""
        yield rx.toast.success(message)
