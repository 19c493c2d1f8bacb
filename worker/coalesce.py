"""Group concurrent calls into one batch: many submits at once share one database transaction.

Under load (issue 10: 200 submits at once) every submit marking its own row costs a thread hop,
a pooled connection's check-out and ping, and a commit. ``Coalescer.run(key)`` waits for a batch
instead: the keys asked for while the previous batch runs go together into the next call of
``work`` (in a worker thread, off the event loop), one batch at a time per event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

K = TypeVar("K")
V = TypeVar("V")


class _Batch(Generic[K, V]):
    def __init__(self, after: asyncio.Task[None] | None) -> None:
        self.after = after
        self.waiting: dict[K, asyncio.Future[V]] = {}


class Coalescer(Generic[K, V]):
    """``work(keys)`` returns a value per key; a key it leaves out gets ``missing(key)`` raised."""

    def __init__(self, work: Callable[[list[K]], dict[K, V]], missing: Callable[[K], Exception]) -> None:
        self._work = work
        self._missing = missing
        self._open: WeakKeyDictionary[asyncio.AbstractEventLoop, _Batch[K, V]] = WeakKeyDictionary()
        self._last: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = WeakKeyDictionary()

    async def run(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        batch = self._open.get(loop)
        if batch is None:
            batch = self._open[loop] = _Batch(self._last.get(loop))
            self._last[loop] = loop.create_task(self._settle(loop, batch))
        future = batch.waiting.setdefault(key, loop.create_future())
        # One caller giving up (a timeout) must not cancel the batch the others wait for.
        return await asyncio.shield(future)

    async def _settle(self, loop: asyncio.AbstractEventLoop, batch: _Batch[K, V]) -> None:
        if batch.after is not None:
            await asyncio.wait([batch.after])
        if self._open.get(loop) is batch:
            del self._open[loop]
        try:
            values = await asyncio.to_thread(self._work, list(batch.waiting))
        except Exception as exc:  # every caller of the batch learns why
            for future in batch.waiting.values():
                future.set_exception(exc)
            return
        for key, future in batch.waiting.items():
            if key in values:
                future.set_result(values[key])
            else:
                future.set_exception(self._missing(key))
