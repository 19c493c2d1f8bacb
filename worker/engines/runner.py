"""Start an engine child in its own process group and talk to it (DESIGN.md §4.6).

The child reads its config as one JSON line on stdin and writes JSON-line events on stdout; the
worker may answer an event with one JSON line. Whatever way this coroutine ends (done, error,
cancel, timeout), the child's whole process group (ffmpeg included) is killed.

One spare child per engine is started ahead of need (``SparePool``): it has imported its engine
and waits for its config, so a job does not pay the interpreter and import time (~0.2-0.4 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mediafetcher_app.core.engine_overlay import active_overlay, with_overlay
from worker import egress

Event = dict[str, Any]
Handler = Callable[[Event], Awaitable[Event | None]]
STDERR_TAIL = 4000
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


@dataclass
class EngineRun:
    returncode: int
    error: Event | None
    stderr_tail: str = ""
    files: list[Event] = field(default_factory=list)


def _child_env() -> dict[str, str]:
    """The worker's environment, with the egress proxy as every proxy variable and no exceptions
    (``no_proxy``): whatever the engine starts (ffmpeg included) honours them. The engine update
    overlay in force now comes first on its path (a spare made before an update is not used)."""
    proxy = egress.proxy.url()
    env = {name: value for name, value in os.environ.items() if name.lower() not in (*PROXY_VARIABLES, "no_proxy")}
    for variable in PROXY_VARIABLES:
        env[variable] = env[variable.upper()] = proxy
    env["YTDLP_NO_PLUGINS"] = "1"  # never load user plugins (DESIGN.md §8)
    env["PYTHONUNBUFFERED"] = "1"
    return with_overlay(env, active_overlay())


async def _spawn(module: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        env=env or _child_env(),
        limit=1024 * 1024,
    )


class SparePool:
    """At most one idle, pre-started child per engine module (and environment: a spare started
    before a setting changed is not used)."""

    def __init__(self) -> None:
        self._spares: dict[str, tuple[asyncio.subprocess.Process, dict[str, str]]] = {}
        self._refills: set[asyncio.Task[None]] = set()

    async def take(self, module: str) -> asyncio.subprocess.Process:
        spare, env = self._spares.pop(module, (None, {}))
        if spare is not None and (spare.returncode is not None or env != _child_env()):
            kill_group(spare)
            await spare.wait()
            spare = None
        if spare is None:
            spare = await _spawn(module)
        task = asyncio.create_task(self._refill(module))
        self._refills.add(task)
        task.add_done_callback(self._refills.discard)
        return spare

    async def _refill(self, module: str) -> None:
        env = _child_env()
        spare = await _spawn(module, env)
        if module in self._spares:  # another refill won the race
            kill_group(spare)
            await spare.wait()
            return
        self._spares[module] = (spare, env)

    async def close(self) -> None:
        for process, _ in self._spares.values():
            kill_group(process)
            await process.wait()
        self._spares.clear()


spares = SparePool()
running_pids: set[int] = set()  # children running a job now (not the idle spares)


def kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def _drain(stream: asyncio.StreamReader, keep: list[bytes]) -> None:
    while chunk := await stream.read(65536):
        keep.append(chunk)
        while sum(map(len, keep)) > STDERR_TAIL * 2 and len(keep) > 1:
            keep.pop(0)


async def run_engine(module: str, config: dict[str, Any], on_event: Handler) -> EngineRun:
    """Run ``python -m module`` to completion, passing each event to ``on_event``. The child gets
    ``config`` plus ``proxy``, the egress proxy every one of its connections must go through."""
    config = {**config, "proxy": egress.proxy.url()}
    process = await spares.take(module)
    running_pids.add(process.pid)
    assert process.stdin and process.stdout and process.stderr
    stderr: list[bytes] = []
    drain = asyncio.create_task(_drain(process.stderr, stderr))
    error: Event | None = None
    files: list[Event] = []
    try:
        process.stdin.write(json.dumps(config).encode() + b"\n")
        await process.stdin.drain()
        while line := await process.stdout.readline():
            event = json.loads(line)
            if event["event"] == "error":
                error = event
            elif event["event"] == "file":
                files.append(event)
            reply = await on_event(event)
            if reply is not None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    process.stdin.write(json.dumps(reply).encode() + b"\n")
                    await process.stdin.drain()
        returncode = await process.wait()
        await drain
    finally:
        if process.returncode is None:
            kill_group(process)
            await process.wait()
        # ffmpeg or helpers the child left behind share its group: none survives the run
        kill_group(process)
        drain.cancel()
        running_pids.discard(process.pid)
    tail = b"".join(stderr).decode(errors="replace")[-STDERR_TAIL:]
    return EngineRun(returncode, error, tail, files)
