"""The engine child's end of the protocol (``protocol.py``): JSON lines on the real stdout.

Libraries print freely, so the protocol keeps a private duplicate of fd 1 and points fd 1 (and
``sys.stdout``) at stderr. A watchdog kills the whole process group when the worker that started
it disappears (``kill -9``): no orphaned download or ffmpeg keeps writing into ``tmp/``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from typing import Any, TextIO

from worker.engines.protocol import STOP, Event, decode, event

_protocol: TextIO | None = None
_lock = threading.Lock()


def start() -> dict[str, Any]:
    """Take over stdout, start the parent watchdog and return the config sent on stdin."""
    global _protocol
    _protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    parent = os.getppid()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    return read_command()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os.killpg(os.getpgrp(), signal.SIGKILL)


def emit(name: Event, **fields: Any) -> None:
    assert _protocol is not None, "start() first"
    line = json.dumps(event(name, **fields), default=str)
    with _lock:
        _protocol.write(line + "\n")
        _protocol.flush()


def read_command() -> dict[str, Any]:
    line = sys.stdin.readline()
    return decode(line) if line.strip() else dict(STOP)


class Throttle:
    """Let a progress event through at most every ``interval`` seconds."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self._last = 0.0

    def ready(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


def fail(stage: str, exc: BaseException | str) -> None:
    """Report the error to the parent and exit non-zero."""
    emit(Event.ERROR, stage=stage, message=str(exc))
    sys.exit(1)
