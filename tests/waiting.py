"""The one way tests wait: poll a condition until it holds, never sleep a fixed time and hope.

``wait_for`` polls from plain code (threads, Playwright's sync API); ``wait_for_async`` from a
coroutine, yielding to the event loop between polls so the work being waited on can run. Both
return the condition's first truthy value and fail the test with ``message`` at the deadline.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 30.0  # generous: a loaded CI host, not the expected wait


def wait_for(
    condition: Callable[[], T],
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = 0.05,
    message: str = "condition not met in time",
) -> T:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        _check(deadline, timeout, message)
        time.sleep(interval)
    return value


async def wait_for_async(
    condition: Callable[[], T | Awaitable[T]],
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = 0.05,
    message: str = "condition not met in time",
) -> T:
    """As ``wait_for``; ``condition`` may be a coroutine function (e.g. a query run in a thread)."""
    deadline = time.monotonic() + timeout
    while True:
        value: Any = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        _check(deadline, timeout, message)
        await asyncio.sleep(interval)


def _check(deadline: float, timeout: float, message: str) -> None:
    if time.monotonic() >= deadline:
        raise AssertionError(f"{message} (waited {timeout:g} s)")
