"""The one path from a Reflex event to the data (docs/ARCHITECTURE.md §6: every event checks the session).

``@guarded_event`` turns a state's ``async def handler(self, caller, ...)`` into the event
``handler(self, ...)``: before the body runs, the session cookie is resolved in a worker thread,
and the body receives a ``Caller``, who is asking plus ``caller.run(work)``, which runs
``work(db, who)`` in a worker thread inside one transaction and returns its result. A
DomainError anywhere (signed out, forbidden, invalid input) becomes the state's ``_refuse``
answer: the sign-in page or an error toast.

So an event cannot reach the database without a resolved principal (state modules hold no
session factory: only this module does), and argon2, SQL and DNS never run on the app's event
loop. tests/test_state_guards.py checks both on the classes themselves.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session as DBSession

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.errors import DomainError

T = TypeVar("T")

_guarded: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def session_cookie(cookie_header: str) -> str | None:
    """The session token from the websocket handshake's Cookie header (HttpOnly: server side only)."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(auth.SESSION_COOKIE)
    return morsel.value if morsel else None


def _in_transaction(work: Callable[[DBSession], T]) -> T:
    with session_scope() as db:
        return work(db)


async def in_transaction(work: Callable[[DBSession], T]) -> T:
    """``work(db)`` in a worker thread and one transaction, with nobody signed in.

    Only for the pages that are public by design (sign-in, first-run setup); everything else
    goes through ``@guarded_event``.
    """
    return await asyncio.to_thread(_in_transaction, work)


@dataclass(frozen=True)
class Caller:
    """Whoever sent the event, as resolved from their session for this event."""

    who: auth.Principal

    async def run(self, work: Callable[[DBSession, auth.Principal], T]) -> T:
        """``work(db, who)`` in a worker thread, in one transaction; its result, or its DomainError."""
        return await in_transaction(lambda db: work(db, self.who))


async def resolve(cookie_header: str) -> Caller:
    """The Caller for a Cookie header; NotAuthenticated when the session ended, was revoked or
    its user was disabled."""
    token = session_cookie(cookie_header)
    return Caller(await in_transaction(lambda db: auth.principal_for_session(db, token)))


def is_guarded(handler: Callable[..., Any]) -> bool:
    """Whether ``handler`` was made by ``guarded_event`` (the audit asks this of every event)."""
    return handler in _guarded


def guarded_event(handler: Callable[..., Any], *, background: bool = False) -> Any:
    """An ``rx.event`` whose body runs only for a signed-in caller and reaches data through them.

    ``handler`` is an async function or async generator taking ``(self, caller, *args)``; the
    event Reflex sees takes ``(self, *args)``. Refusals go through ``self._refuse(exc)``.
    """
    parameters = list(inspect.signature(handler).parameters.values())
    caller_name = parameters[1].name
    event: Callable[..., Any]
    if inspect.isasyncgenfunction(handler):

        @functools.wraps(handler)
        async def event_stream(self, *args: Any, **kwargs: Any) -> Any:
            try:
                caller = await resolve(self.router.headers.cookie)
                async for update in handler(self, caller, *args, **kwargs):
                    yield update
            except DomainError as exc:
                yield self._refuse(exc)

        event = event_stream
    elif inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def event_once(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return await handler(self, await resolve(self.router.headers.cookie), *args, **kwargs)
            except DomainError as exc:
                return self._refuse(exc)

        event = event_once
    else:
        raise TypeError(f"{handler.__qualname__}: a guarded event must be async (its data work runs in a thread)")
    event.__signature__ = inspect.Signature([parameters[0], *parameters[2:]])  # type: ignore[attr-defined]
    event.__annotations__ = {k: v for k, v in handler.__annotations__.items() if k != caller_name}
    _guarded.add(event)
    return rx.event(event, background=background)


def guarded_background_event(handler: Callable[..., Any]) -> Any:
    """``guarded_event`` for work that takes seconds or minutes: Reflex runs it without holding the
    state's lock, so the body changes its state only inside ``async with self:``."""
    return guarded_event(handler, background=True)
