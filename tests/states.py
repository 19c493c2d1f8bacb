"""Reflex states as an event sees them, and their events called as the websocket would call them."""

from __future__ import annotations

import importlib
import inspect

import reflex as rx
from reflex.istate.data import RouterData

from mediafetcher_app.core import auth

importlib.import_module("mediafetcher_app.mediafetcher_app")  # the app module registers every state


def state(cls: type[rx.State], session: str | None = None, path: str = "/", token: str = "test-tab") -> rx.State:
    """A state instance as an event sees it, with the browser's cookie header."""
    root = rx.State(_reflex_internal_init=True)
    cookie = f"{auth.SESSION_COOKIE}={session}" if session else ""
    root.router = RouterData.from_router_data(
        {"headers": {"cookie": cookie}, "pathname": path, "asPath": path, "token": token}
    )
    return root.get_substate(cls.get_full_name().split(".")[1:])


async def call(instance: rx.State, event: str, *args):
    """Run one event as Reflex would: a coroutine's result, or everything an async generator yields."""
    result = type(instance).event_handlers[event].fn(instance, *args)
    if inspect.isasyncgen(result):
        return [step async for step in result]
    if inspect.iscoroutine(result):
        return await result
    return result


def is_login_redirect(result) -> bool:
    return "/login?next=" in str(result)


def is_error_toast(result) -> bool:
    return "__toast" in str(result) and '?.["error"]' in str(result)
