"""Every Reflex event that reads or changes data checks the session on the server.

Hiding a button is not enough: an event can be called directly over the websocket. This walks
every event handler of our states and requires that one that touches data (the database, the
queue, the vault) also resolves the principal (``_principal``, or a helper that does).
"""

from __future__ import annotations

import inspect

import reflex as rx

import mediafetcher_app.mediafetcher_app  # noqa: F401  (imports every page and state)
from mediafetcher_app.state.auth import AuthState

# What reading or changing data looks like in a handler's source.
DATA_ACCESS = (
    "session_scope(",
    "organize.",
    "accounts.",
    "catalog.",
    "jobs.",
    "vault.",
    "auth.",
    "enqueue(",
    "snapshot(",
    "self._load",
    "self._reload",
    "self._show(",
)
# Pages reachable signed out by design.
PUBLIC_STATES = {"LoginState", "SetupState", "PairPageState"}
CHECKS = ("_principal(", "_attempt(", "require_login(", "_apply(", "_change(", "_edit(", "_admin_change(", "_require(")


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


def test_the_audit_sees_data_access():
    """Guard against a vacuous audit: events known to change data are recognised as such."""
    from mediafetcher_app.state.dashboard import DashboardState
    from mediafetcher_app.state.library import LibraryState

    for handler in (LibraryState.event_handlers["delete_folder"], DashboardState.event_handlers["cancel"]):
        assert any(access in inspect.getsource(handler.fn) for access in DATA_ACCESS)


def test_every_data_event_checks_the_session():
    unguarded = []
    for cls in our_states():
        if cls.__name__ in PUBLIC_STATES:
            continue
        for name, handler in cls.event_handlers.items():
            if handler.fn.__qualname__.split(".")[0] != cls.__name__:
                continue
            source = inspect.getsource(handler.fn)
            if any(access in source for access in DATA_ACCESS) and not any(check in source for check in CHECKS):
                unguarded.append(f"{cls.__name__}.{name}")
    assert unguarded == []


def test_admin_states_derive_from_the_authenticated_base():
    for cls in our_states():
        if cls.__name__ not in PUBLIC_STATES and cls is not AuthState:
            assert issubclass(cls, AuthState), cls.__name__
