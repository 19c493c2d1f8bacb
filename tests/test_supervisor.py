"""`make run` supervises: crashed children come back after growing delays, interrupted jobs resume,
a crash loop stops the stack with a sentence, Ctrl-C stops everything in order."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from mediafetcher_app.core import embedded
from mediafetcher_app.core.models import JobStatus
from mediafetcher_app.core.settings import SupervisorSettings
from mediafetcher_app.launcher import worker_command
from mediafetcher_app.supervisor import CrashLoop, Supervisor
from tests.fixtures.pipeline import assert_done, job_row, new_job
from tests.waiting import wait_for
from worker.client import close_pool, enqueue

ROOT = Path(__file__).resolve().parent.parent
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


def policy(**overrides: float) -> SupervisorSettings:
    values = dict(first_delay_s=0.1, max_delay_s=0.4, crash_limit=5, crash_window_s=60, grace_s=5)
    return SupervisorSettings(**{**values, **overrides})  # type: ignore[arg-type]


def test_a_killed_child_is_restarted_with_a_log_line(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, "mediafetcher.launcher")
    supervisor = Supervisor([("worker", SLEEPER), ("app", SLEEPER)], dict(os.environ), ROOT, policy())
    supervisor.start()
    try:
        worker, app = supervisor.children
        first_pid, app_pid = worker.proc.pid, app.proc.pid
        os.kill(first_pid, signal.SIGKILL)

        def restarted():
            supervisor.check()
            return worker.proc.pid != first_pid and worker.proc.poll() is None

        wait_for(restarted)
        assert app.proc.pid == app_pid, "the other child keeps running"
        assert f"worker exited with code {-signal.SIGKILL}; restarting it in 0.1 s" in caplog.text
        assert "restarting worker" in caplog.text
    finally:
        supervisor.stop()
    assert all(child.proc.poll() is not None for child in supervisor.children)


def test_restart_delays_grow_and_a_crash_loop_stops_with_a_clear_message(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, "mediafetcher.launcher")
    supervisor = Supervisor([("worker", CRASHER)], dict(os.environ), ROOT, policy(crash_limit=5))
    supervisor.start()

    def crash_loop():
        try:
            supervisor.check()
        except CrashLoop as exc:
            return exc
        return None

    error = wait_for(crash_loop)
    delays = [r.getMessage().rsplit(" in ", 1)[1] for r in caplog.records if "restarting it in" in r.getMessage()]
    assert delays == ["0.1 s", "0.2 s", "0.4 s", "0.4 s"], "doubling, up to the cap"
    assert str(error) == (
        "the worker crashed 5 times within 60 s (last exit code 3); stopping MediaFetcher. "
        "Its own output above says why."
    )


def test_crashes_outside_the_window_never_add_up_to_a_crash_loop():
    supervisor = Supervisor([("worker", CRASHER)], dict(os.environ), ROOT, policy(crash_limit=2, crash_window_s=0.05))
    supervisor.start()
    worker = supervisor.children[0]
    pids = {worker.proc.pid}

    def three_restarts():
        supervisor.check()  # raises CrashLoop should two crashes ever count together
        pids.add(worker.proc.pid)
        return len(pids) >= 4

    wait_for(three_restarts)
    supervisor.stop()


async def test_a_worker_killed_under_supervision_is_restarted_and_its_job_completes(server, monkeypatch):
    monkeypatch.setenv("MF_WORKER_STALE_S", "2")
    env = {**os.environ, "MF_ENGINE_SOCKET_TIMEOUT": "5"}
    # the restart waits past the dead worker's heartbeat, so the new worker finds its job abandoned
    supervisor = Supervisor([("worker", worker_command())], env, ROOT, policy(first_delay_s=3, max_delay_s=3))
    job_id = new_job(server.url("/throttle/media/big.mp4?rate=120000"))
    try:
        await enqueue(job_id)
        supervisor.start()
        worker = supervisor.children[0]
        first_pid = worker.proc.pid
        await asyncio.to_thread(wait_for, lambda: job_row(job_id).status == JobStatus.downloading)
        os.kill(first_pid, signal.SIGKILL)

        def finished():
            supervisor.check()
            return job_row(job_id).status.is_final

        await asyncio.to_thread(wait_for, finished, 90)
        assert worker.proc.pid != first_pid
    finally:
        await asyncio.to_thread(supervisor.stop)
        await close_pool()
    job = job_row(job_id)
    assert_done(job)
    assert job.attempts == 2


CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    name, log, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    while mode == "crash":  # once the app runs, so that it is there to be stopped
        if os.path.exists(log + ".app.ready"):
            sys.exit(7)
        time.sleep(0.05)
    def stopped(*_):
        with open(log, "a") as f:
            f.write(name + "\\n")
        if mode == "obey":
            sys.exit(0)
    signal.signal(signal.SIGTERM, stopped)
    open(log + "." + name + ".ready", "w").close()
    while True:
        time.sleep(0.05)
    """
)


@dataclass
class Stack:
    """The real launcher (``run_stack``) in a subprocess, with embedded PostgreSQL and Redis in a
    fresh data dir and stand-in children (``CHILD``) for the worker and the app."""

    proc: subprocess.Popen[str]
    data: Path
    log: Path

    def ready(self, *names: str) -> None:
        wait_for(lambda: all(Path(f"{self.log}.{name}.ready").exists() for name in names), 120)

    def server_pids(self) -> tuple[int, int]:
        redis = int((self.data / "redis" / "redis.pid").read_text())
        return redis, int((self.data / "postgres" / "postmaster.pid").read_text().split()[0])

    def stopped_children(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []


@contextmanager
def stack(tmp_path: Path, worker_mode: str, app_mode: str, **env_extra: str) -> Iterator[Stack]:
    data = Path(tempfile.mkdtemp(prefix="mf-launch-"))
    log, script = tmp_path / "stopped.log", tmp_path / "child.py"
    script.write_text(CHILD)
    launch = textwrap.dedent(
        f"""
        import logging, sys
        from mediafetcher_app.core.settings import get_settings
        from mediafetcher_app.launcher import run_stack
        logging.basicConfig(level=logging.INFO)
        child = [sys.executable, {str(script)!r}]
        sys.exit(run_stack(get_settings(), [
            ("worker", child + ["worker", {str(log)!r}, {worker_mode!r}]),
            ("app", child + ["app", {str(log)!r}, {app_mode!r}]),
        ]))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(MF_DATA_DIR=str(data), **env_extra)
    proc = subprocess.Popen([sys.executable, "-c", launch], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        yield Stack(proc, data, log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        embedded.stop_redis(data)
        embedded.stop_postgres(data)
        shutil.rmtree(data, ignore_errors=True)


def assert_servers_stopped(stack: Stack, redis_pid: int, postgres_pid: int) -> None:
    assert not (stack.data / "postgres" / "postmaster.pid").exists(), "PostgreSQL was shut down"
    wait_for(lambda: not psutil.pid_exists(redis_pid) and not psutil.pid_exists(postgres_pid), 10)


def test_ctrl_c_stops_app_then_worker_then_redis_then_postgres(tmp_path: Path):
    """The worker ignores SIGTERM and is killed after the grace period."""
    with stack(tmp_path, "ignore", "obey", MF_STOP_GRACE="1") as running:
        running.ready("app", "worker")
        pids = running.server_pids()
        running.proc.send_signal(signal.SIGINT)
        _, err = running.proc.communicate(timeout=120)
        assert running.proc.returncode == 0, err
        assert running.stopped_children() == ["app", "worker"]
        assert "worker did not stop in 1s; killing it" in err
        assert err.index("stopping app") < err.index("stopping worker") < err.rindex("stopped")
        assert_servers_stopped(running, *pids)


def test_a_crash_loop_stops_the_whole_stack_with_a_clear_message(tmp_path: Path):
    with stack(tmp_path, "crash", "obey", MF_RESTART_DELAY="0.05", MF_CRASH_LIMIT="3") as running:
        pids = wait_for(lambda: (running.data / "redis" / "redis.pid").exists() and running.server_pids())
        _, err = running.proc.communicate(timeout=120)  # it stops by itself
        assert running.proc.returncode == 1, err
        assert err.count("worker exited with code 7; restarting it in") == 2
        assert "the worker crashed 3 times within 300 s (last exit code 7); stopping MediaFetcher." in err
        assert running.stopped_children() == ["app"], "the app was stopped too"
        assert_servers_stopped(running, *pids)
