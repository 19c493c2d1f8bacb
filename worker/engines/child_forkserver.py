"""A warm engine server: imports one engine and compiles its extractors once, then forks a fresh
child per job, so no job pays the interpreter and engine start-up (see ``runner.py``).

Run as ``python -m worker.engines.child_forkserver <engine module> <control fd>``. The engine
module offers ``prepare()`` (run once, here) and ``main()`` (run in each child). A child leads its
own session (the worker kills its whole group on cancel), takes the three descriptors the fork
request carried as its stdin, stdout and stderr, and never returns into this loop. The server
reaps its children and reports each exit; when the worker goes away (its end of the control socket
closes) the server kills its children's groups and exits. Single-threaded on purpose: forking a
process that runs other threads can copy a lock some thread holds.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import selectors
import signal
import socket
import sys
import traceback
from types import ModuleType

from worker.engines.protocol import Control, control, decode, encode

MAX_MESSAGE = 65536


def _run_child(engine: ModuleType, fds: list[int], closing: list[int]) -> None:
    """In the forked child: become a session leader on the request's descriptors, run the job."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in closing:
            os.close(fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        try:
            engine.main()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _reap(channel: socket.socket, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        channel.send(encode(control(Control.EXITED, pid=pid, returncode=os.waitstatus_to_exitcode(status))))


def serve(engine: ModuleType, channel: socket.socket) -> None:
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: set[int] = set()
    selector = selectors.DefaultSelector()
    selector.register(channel, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    try:
        while True:
            for key, _ in selector.select():
                if key.fileobj == wake_r:
                    os.read(wake_r, 4096)
                    _reap(channel, children)
                    continue
                data, fds, _, _ = socket.recv_fds(channel, MAX_MESSAGE, 3)
                if not data:
                    return  # the worker is gone
                if decode(data).get("control") != Control.FORK or len(fds) != 3:
                    for fd in fds:
                        os.close(fd)
                    continue
                pid = os.fork()
                if pid == 0:
                    _run_child(engine, fds, [wake_r, wake_w, channel.fileno(), selector.fileno()])
                for fd in fds:
                    os.close(fd)
                children.add(pid)
                channel.send(encode(control(Control.FORKED, pid=pid)))
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def main() -> None:
    engine = importlib.import_module(sys.argv[1])
    channel = socket.socket(fileno=int(sys.argv[2]))
    channel.setblocking(True)
    engine.prepare()
    serve(engine, channel)


if __name__ == "__main__":
    main()
