"""Every Reflex event that reads or changes data checks the session on the server.

Hiding a button is not enough: an event can be called directly over the websocket. This walks
every event handler of our states and requires that it resolves the principal (``_principal``,
or a helper that does) unless it only changes what is on screen.
"""

from __future__ import annotations

import inspect

import reflex as rx

import mediafetcher_app.mediafetcher_app  # noqa: F401  (imports every page and state)
from mediafetcher_app.state.auth import AuthState

# Events that touch no data: they move UI state only (typing, toggles, dialogs).
UI_ONLY_PREFIXES = ("set_", "toggle", "start_", "cancel_edit", "ask_", "close_", "clear_filters", "dismiss_")
# FeedState.search only sets the query: the grid's fetch goes to /api/v1/media, which checks.
UI_ONLY_EVENTS = {"FeedState.search"}
# Pages reachable signed out by design.
PUBLIC_STATES = {"LoginState", "SetupState", "PairPageState"}
CHECKS = ("_principal(", "require_login(", "_apply(", "_change(", "_edit(", "_admin_change(", "_require(")


def our_states() -> list[type[rx.State]]:
    found, todo = [], [rx.State]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("mediafetcher_app."):
            found.append(cls)
    return found


def test_states_were_found():
    names = {cls.__name__ for cls in our_states()}
    assert {"FeedState", "DashboardState", "LibraryState", "SettingsState", "AddUrlState"} <= names


def test_every_data_event_checks_the_session():
    unguarded = []
    for cls in our_states():
        if cls.__name__ in PUBLIC_STATES:
            continue
        for name, handler in cls.event_handlers.items():
            if name.startswith(UI_ONLY_PREFIXES) or handler.fn.__qualname__.split(".")[0] != cls.__name__:
                continue
            if f"{cls.__name__}.{name}" in UI_ONLY_EVENTS:
                continue
            source = inspect.getsource(handler.fn)
            if not any(check in source for check in CHECKS):
                unguarded.append(f"{cls.__name__}.{name}")
    assert unguarded == []


def test_admin_states_derive_from_the_authenticated_base():
    for cls in our_states():
        if cls.__name__ not in PUBLIC_STATES and cls is not AuthState:
            assert issubclass(cls, AuthState), cls.__name__
