"""Every Reflex event that reads or changes data goes through ``@guarded_event`` (state/guard.py).

Hiding a button is not enough: an event can be called directly over the websocket. The guard
resolves the session before the handler's body runs and is the only holder of a database
session factory among the state modules, so the audit checks two facts on the classes and
modules themselves (no source text is searched):

- every event handler of a signed-in state that can reach data is a guarded event; "can reach
  data" follows the handler's bytecode through the globals, module attributes and ``self``
  methods it uses, into our own functions, until a function that takes a ``db``, a session
  factory or a database/queue client library turns up;
- no module defining a state holds a session factory (``session_scope``, ``get_engine``), and
  only the public pages' module holds ``in_transaction``.
"""

from __future__ import annotations

import builtins
import dis
import importlib
import inspect
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import reflex as rx

from mediafetcher_app.core import folders_tags
from mediafetcher_app.core.db import get_engine, session_scope
from mediafetcher_app.state import guard
from mediafetcher_app.state.auth import AuthState
from worker.client import enqueue

importlib.import_module("mediafetcher_app.mediafetcher_app")  # the app module imports every page and state

# Pages reachable signed out by design: they use guard.in_transaction, never a principal.
PUBLIC_STATES = {"LoginState", "SetupState"}
SESSION_FACTORIES = (session_scope, get_engine)
DATA_LIBRARIES = ("sqlalchemy", "sqlmodel", "psycopg", "redis", "arq")
OUR_PACKAGES = ("mediafetcher_app", "worker")


def our_states() -> list[type[rx.State]]:
    found, todo = [], [rx.State]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("mediafetcher_app."):
            found.append(cls)
    return found


def own_handlers(cls: type[rx.State]) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, handler in cls.event_handlers.items():
        if handler.fn.__qualname__.split(".")[0] == cls.__name__:
            yield name, handler.fn


def _module_of(obj: Any) -> str:
    return obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None) or ""


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _references(fn: Callable[..., Any], cls: type | None) -> Iterator[Any]:
    """The objects ``fn`` (and the lambdas and functions inside it) loads: globals and their
    attribute chains, and ``self.<name>`` looked up on ``cls``."""
    fn = inspect.unwrap(fn)
    namespace = getattr(fn, "__globals__", {})
    for code in _codes(fn.__code__):
        current: Any = None
        for instruction in dis.get_instructions(code):
            name = instruction.argval
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                current = namespace.get(name, getattr(builtins, name, None))
            elif instruction.opname in ("LOAD_FAST", "LOAD_DEREF") and name == "self" and cls is not None:
                current = cls
                continue
            elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") and current is not None:
                current = inspect.getattr_static(current, name, None)
                if isinstance(current, staticmethod | classmethod):
                    current = current.__func__
            else:
                current = None
                continue
            if current is not None:
                yield current


def reaches_data(fn: Callable[..., Any], cls: type | None = None, seen: set[int] | None = None) -> str | None:
    """What data ``fn`` can reach (a description), or None."""
    seen = set() if seen is None else seen
    for target in _references(fn, cls):
        if id(target) in seen:
            continue
        seen.add(id(target))
        module = _module_of(target)
        if any(target is factory for factory in SESSION_FACTORIES) or module.split(".")[0] in DATA_LIBRARIES:
            return f"{module}.{getattr(target, '__qualname__', target)}"
        if not inspect.isfunction(target):
            continue
        if "db" in inspect.signature(target).parameters:
            return f"{module}.{target.__qualname__}(db, ...)"
        if module.split(".")[0] in OUR_PACKAGES:
            owner = cls if cls is not None and inspect.getattr_static(cls, target.__name__, None) is target else None
            if found := reaches_data(target, owner, seen):
                return found
    return None


def test_states_were_found():
    names = {cls.__name__ for cls in our_states()}
    assert {"FeedState", "DashboardState", "LibraryState", "SettingsState", "AddUrlState"} <= names


def test_the_audit_sees_data_access():
    """Guard against a vacuous audit: known data access is recognised, through helpers and lambdas."""
    from mediafetcher_app.state.dashboard import DashboardState
    from mediafetcher_app.state.library import LibraryState, then_view

    def deletes(self, folder_id: int):
        return self._show(then_view(lambda db, _who: folders_tags.delete_folder(db, folder_id)))

    async def enqueues(self, job_id: int):
        await enqueue(job_id)

    def opens_a_session(self):
        with session_scope():
            pass

    for fn in (deletes, enqueues, opens_a_session):
        assert reaches_data(fn, LibraryState), fn.__name__
    for fn in (LibraryState.event_handlers["delete_folder"].fn, DashboardState.event_handlers["cancel"].fn):
        assert reaches_data(fn, LibraryState)
    assert reaches_data(LibraryState.event_handlers["set_new_folder"].fn, LibraryState) is None


def test_every_data_event_is_a_guarded_event():
    unguarded = []
    for cls in our_states():
        if cls.__name__ in PUBLIC_STATES:
            continue
        for name, fn in own_handlers(cls):
            if not guard.is_guarded(fn) and (found := reaches_data(fn, cls)):
                unguarded.append(f"{cls.__name__}.{name} reaches {found}")
    assert unguarded == []


def test_guarded_events_run_on_the_loop_and_their_data_work_in_a_thread():
    """A guarded handler is a coroutine (or async generator): its data work is awaited, never run inline."""
    guarded = [fn for cls in our_states() for _, fn in own_handlers(cls) if guard.is_guarded(fn)]
    assert len(guarded) > 20
    for fn in guarded:
        assert inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn), fn.__qualname__


def test_only_the_guard_holds_a_session_factory():
    modules = {sys.modules[cls.__module__] for cls in our_states()}
    for module in modules - {guard}:
        held = [name for name, value in vars(module).items() if any(value is f for f in SESSION_FACTORIES)]
        assert held == [], f"{module.__name__} holds {held}"
        if module.__name__ != "mediafetcher_app.state.login":
            assert guard.in_transaction not in vars(module).values(), module.__name__


def test_public_states_reach_data_only_off_the_loop():
    for cls in our_states():
        if cls.__name__ in PUBLIC_STATES:
            for name, fn in own_handlers(cls):
                if reaches_data(fn, cls):
                    assert inspect.iscoroutinefunction(fn), f"{cls.__name__}.{name}"


def test_admin_states_derive_from_the_authenticated_base():
    for cls in our_states():
        if cls.__name__ not in PUBLIC_STATES and cls is not AuthState:
            assert issubclass(cls, AuthState), cls.__name__
