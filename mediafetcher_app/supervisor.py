"""Keep ``make run``'s children alive: restart a crashed one after a growing delay, give up only
when one crashes again and again in a short window (then the whole stack stops with a sentence).

A restarted worker resumes interrupted jobs itself (its start re-queues the jobs of dead workers),
so the supervisor only has to bring the process back. Children lead their own process groups, so
stopping one also stops what it started (engines, Granian workers).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .core.settings import SupervisorSettings

log = logging.getLogger("mediafetcher.launcher")


class CrashLoop(Exception):
    """One child crashed ``crash_limit`` times within the window: restarting it again is pointless."""

    def __init__(self, name: str, crashes: int, window_s: float, code: int | None) -> None:
        super().__init__(
            f"the {name} crashed {crashes} times within {window_s:.0f} s (last exit code {code}); "
            f"stopping MediaFetcher. Its own output above says why."
        )


@dataclass
class Child:
    """One supervised process: its command, the running process, and its recent crashes."""

    name: str
    command: list[str]
    proc: subprocess.Popen[bytes] | None = None
    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None


def stop(proc: subprocess.Popen[bytes], name: str, grace_s: float) -> None:
    """SIGTERM the child's whole process group; SIGKILL it after the grace period."""
    if proc.poll() is not None:
        return
    log.info("stopping %s", name)
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        log.warning("%s did not stop in %.0fs; killing it", name, grace_s)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


class Supervisor:
    """Starts children in order, restarts crashed ones, stops them in reverse order."""

    def __init__(
        self, commands: list[tuple[str, list[str]]], env: dict[str, str], cwd: Path, policy: SupervisorSettings
    ) -> None:
        self.children = [Child(name, command) for name, command in commands]
        self.env, self.cwd, self.policy = env, cwd, policy

    def _spawn(self, child: Child) -> None:
        child.proc = subprocess.Popen(child.command, cwd=self.cwd, env=self.env, start_new_session=True)
        child.restart_at = None

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def delay_for(self, crashes: int) -> float:
        """First crash: the first delay; each further crash in the window doubles it, up to the cap."""
        return min(self.policy.first_delay_s * 2 ** max(0, crashes - 1), self.policy.max_delay_s)

    def _crashed(self, child: Child, now: float) -> None:
        assert child.proc is not None
        code = child.proc.returncode
        child.crashes.append(now)
        while child.crashes and now - child.crashes[0] > self.policy.crash_window_s:
            child.crashes.popleft()
        if len(child.crashes) >= self.policy.crash_limit:
            raise CrashLoop(child.name, len(child.crashes), self.policy.crash_window_s, code)
        delay = self.delay_for(len(child.crashes))
        log.error("%s exited with code %s; restarting it in %.1f s", child.name, code, delay)
        child.restart_at = now + delay

    def check(self, now: float | None = None) -> None:
        """One round: note crashes, restart the children whose delay is over. Raises CrashLoop."""
        now = time.monotonic() if now is None else now
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    log.info("restarting %s", child.name)
                    self._spawn(child)
            elif child.proc is not None and child.proc.poll() is not None:
                self._crashed(child, now)

    def run(self, stopping: Callable[[], bool], poll_s: float = 0.2) -> None:
        """Supervise until ``stopping()`` says so; raises CrashLoop when a child keeps crashing."""
        while not stopping():
            self.check()
            time.sleep(poll_s)

    def stop(self) -> None:
        """Stop the children in reverse start order (app before worker), each with the grace period."""
        for child in reversed(self.children):
            if child.proc is not None:
                stop(child.proc, child.name, self.policy.grace_s)
