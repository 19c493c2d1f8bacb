"""Concurrent calls share one batch (worker/coalesce.py): what each caller gets back."""

from __future__ import annotations

import asyncio
import threading

import pytest

from worker.coalesce import Coalescer


class Missing(Exception):
    pass


def recording(calls: list[list[int]], gate: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def work(keys: list[int]) -> dict[int, str]:
        if gate is not None:
            gate.wait(10)
        calls.append(sorted(keys))
        return {key: f"v{key}" for key in keys if key != 13}

    return work


async def test_calls_at_once_share_one_batch_and_each_gets_its_own_value() -> None:
    calls: list[list[int]] = []
    coalescer = Coalescer(recording(calls), Missing)
    assert await asyncio.gather(*(coalescer.run(key) for key in (1, 2, 3, 2))) == ["v1", "v2", "v3", "v2"]
    assert calls == [[1, 2, 3]]


async def test_calls_made_while_a_batch_runs_go_together_into_the_next() -> None:
    calls: list[list[int]] = []
    gate = threading.Event()
    coalescer = Coalescer(recording(calls, gate), Missing)
    first = asyncio.ensure_future(coalescer.run(1))
    await asyncio.sleep(0.05)  # the first batch is in its thread, held at the gate
    later = [asyncio.ensure_future(coalescer.run(key)) for key in (2, 3)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(first, *later) == ["v1", "v2", "v3"]
    assert calls == [[1], [2, 3]]


async def test_a_key_the_work_leaves_out_raises_for_its_caller_only() -> None:
    coalescer = Coalescer(recording([]), Missing)
    results = await asyncio.gather(coalescer.run(12), coalescer.run(13), return_exceptions=True)
    assert results[0] == "v12"
    assert isinstance(results[1], Missing)


async def test_a_failing_batch_raises_for_every_caller_and_the_next_batch_runs() -> None:
    down = [True]

    def flaky(keys: list[int]) -> dict[int, str]:
        if down[0]:
            raise RuntimeError("database down")
        return {key: f"v{key}" for key in keys}

    coalescer: Coalescer[int, str] = Coalescer(flaky, Missing)
    results = await asyncio.gather(coalescer.run(1), coalescer.run(2), return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)
    down[0] = False
    assert await coalescer.run(3) == "v3"


async def test_a_caller_that_gives_up_leaves_the_batch_to_the_others() -> None:
    gate = threading.Event()
    coalescer = Coalescer(recording([], gate), Missing)
    impatient = asyncio.ensure_future(coalescer.run(1))
    patient = asyncio.ensure_future(coalescer.run(2))
    await asyncio.sleep(0.05)
    impatient.cancel()
    gate.set()
    assert await patient == "v2"
    with pytest.raises(asyncio.CancelledError):
        await impatient
