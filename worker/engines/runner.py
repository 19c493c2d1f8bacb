"""The worker side of the engines: run one job's engine child and talk to it (docs/ARCHITECTURE.md §4.6).

Each engine (yt-dlp, gallery-dl) has one warm fork server (``child_forkserver.py``): a process
that imported the engine and compiled its extractors once. A job asks it for a fresh forked
child, which leads its own session, reads its config as one JSON line on stdin and writes the
protocol's events on stdout (``protocol.py``). Whatever way a run ends (done, error, cancel,
timeout), the child's whole process group (ffmpeg included) is killed. A server started with
another environment than the one in force now (an engine update's overlay, a proxy) is replaced
before the next job, and a server that died is started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mediafetcher_app.core.engine_overlay import active_overlay, with_overlay
from worker import egress

from .protocol import Control, Event, Message, control, decode, encode

Handler = Callable[[Message], Awaitable[Message | None]]
STDERR_TAIL = 4000
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
SERVER_MODULE = "worker.engines.child_forkserver"
SERVER_GONE = -int(signal.SIGKILL)  # the return code of children whose server died under them


@dataclass
class EngineRun:
    returncode: int
    error: Message | None
    stderr_tail: str = ""
    files: list[Message] = field(default_factory=list)


def _child_env() -> dict[str, str]:
    """The worker's environment, with the egress proxy as every proxy variable and no exceptions
    (``no_proxy``): whatever the engine starts (ffmpeg included) honours them. The engine update
    overlay in force now comes first on its path."""
    proxy = egress.proxy.url()
    env = {name: value for name, value in os.environ.items() if name.lower() not in (*PROXY_VARIABLES, "no_proxy")}
    for variable in PROXY_VARIABLES:
        env[variable] = env[variable.upper()] = proxy
    env["YTDLP_NO_PLUGINS"] = "1"  # never load user plugins (docs/ARCHITECTURE.md §8)
    env["PYTHONUNBUFFERED"] = "1"
    return with_overlay(env, active_overlay())


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class Child:
    """One forked engine child: its pipes and, once the server reaped it, its return code."""

    def __init__(
        self, pid: int, stdin: asyncio.StreamWriter, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader
    ) -> None:
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def wait(self) -> int:
        return await asyncio.shield(self.exited)


async def _reader(fd: int, limit: int = 1024 * 1024) -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0))
    return reader


async def _writer(fd: int) -> asyncio.StreamWriter:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(fd, "wb", 0))
    return asyncio.StreamWriter(transport, protocol, None, loop)


class ForkServer:
    """The warm server of one engine module, started on first use."""

    def __init__(self, module: str, env: dict[str, str]) -> None:
        self.module = module
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self._control: socket.socket | None = None
        self._replies: asyncio.Queue[Message] = asyncio.Queue()
        self._children: dict[int, Child] = {}
        self._early_exits: dict[int, int] = {}
        self._fork_lock = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None and self._control is not None

    async def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                SERVER_MODULE,
                self.module,
                str(theirs.fileno()),
                stdin=asyncio.subprocess.DEVNULL,
                start_new_session=True,
                env=self.env,
                pass_fds=(theirs.fileno(),),
            )
        finally:
            theirs.close()
        ours.setblocking(False)
        self._control = ours
        asyncio.get_running_loop().add_reader(ours.fileno(), self._on_control)

    def _on_control(self) -> None:
        assert self._control is not None
        while True:
            try:
                data = self._control.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._lost()
                return
            message = decode(data)
            if message.get("control") == Control.EXITED:
                pid, returncode = int(message["pid"]), int(message["returncode"])
                child = self._children.pop(pid, None)
                if child is None:
                    self._early_exits[pid] = returncode  # it ended before ``fork`` took the reply
                elif not child.exited.done():
                    child.exited.set_result(returncode)
            else:
                self._replies.put_nowait(message)

    def _lost(self) -> None:
        """The server is gone: its children die with it (their watchdog does so too)."""
        if self._control is not None:
            asyncio.get_running_loop().remove_reader(self._control.fileno())
            self._control.close()
            self._control = None
        for pid, child in self._children.items():
            kill_group(pid)
            if not child.exited.done():
                child.exited.set_result(SERVER_GONE)
        self._children.clear()
        self._replies.put_nowait(control(Control.EXITED, pid=0, returncode=SERVER_GONE))

    async def fork(self) -> Child:
        """A fresh child of this server, in its own session, waiting for its config."""
        async with self._fork_lock:
            if not self.alive:
                raise ChildProcessError(f"the {self.module} server is not running")
            assert self._control is not None
            stdin_r, stdin_w = os.pipe()
            stdout_r, stdout_w = os.pipe()
            stderr_r, stderr_w = os.pipe()
            try:
                socket.send_fds(self._control, [encode(control(Control.FORK))], [stdin_r, stdout_w, stderr_w])
            finally:
                for fd in (stdin_r, stdout_w, stderr_w):
                    os.close(fd)
            stdin, stdout, stderr = await _writer(stdin_w), await _reader(stdout_r), await _reader(stderr_r)
            reply = await self._replies.get()
            if reply.get("control") != Control.FORKED:
                stdin.close()
                raise ChildProcessError(f"the {self.module} server died before forking")
            child = Child(int(reply["pid"]), stdin, stdout, stderr)
            if child.pid in self._early_exits:
                child.exited.set_result(self._early_exits.pop(child.pid))
            else:
                self._children[child.pid] = child
            return child

    async def stop(self) -> None:
        for pid in list(self._children):
            kill_group(pid)
        if self.process is not None and self.process.returncode is None:
            kill_group(self.process.pid)
            await self.process.wait()
        if self._control is not None:
            self._lost()


class ForkServers:
    """One warm server per engine module, replaced when the engines' environment changed."""

    def __init__(self) -> None:
        self._servers: dict[str, ForkServer] = {}
        self._lock = asyncio.Lock()

    async def ready(self, module: str) -> ForkServer:
        """``module``'s server, started (or replaced) now if it is not running with today's env."""
        env = _child_env()
        async with self._lock:
            server = self._servers.get(module)
            if server is not None and (not server.alive or server.env != env):
                await server.stop()
                server = None
            if server is None:
                server = self._servers[module] = ForkServer(module, env)
                await server.start()
            return server

    async def fork(self, module: str) -> Child:
        try:
            return await (await self.ready(module)).fork()
        except ChildProcessError:  # the server died as it was asked: once more, with a new one
            return await (await self.ready(module)).fork()

    def pids(self) -> dict[str, int]:
        """The pid of each running server (tests and the bench look at them)."""
        return {m: s.process.pid for m, s in self._servers.items() if s.alive and s.process is not None}

    async def close(self) -> None:
        for server in self._servers.values():
            await server.stop()
        self._servers.clear()


servers = ForkServers()
running_pids: set[int] = set()  # children running a job now


async def _drain(stream: asyncio.StreamReader, keep: list[bytes]) -> None:
    while chunk := await stream.read(65536):
        keep.append(chunk)
        while sum(map(len, keep)) > STDERR_TAIL * 2 and len(keep) > 1:
            keep.pop(0)


async def run_engine(module: str, config: dict[str, Any], on_event: Handler) -> EngineRun:
    """Run ``module``'s engine in a forked child to completion, passing each event to
    ``on_event``. The child gets ``config`` plus ``proxy``, the egress proxy every one of its
    connections must go through."""
    config = {**config, "proxy": egress.proxy.url()}
    child = await servers.fork(module)
    running_pids.add(child.pid)
    stderr: list[bytes] = []
    drain = asyncio.create_task(_drain(child.stderr, stderr))
    error: Message | None = None
    files: list[Message] = []
    try:
        child.stdin.write(encode(config))
        await child.stdin.drain()
        while line := await child.stdout.readline():
            event = decode(line)
            if event["event"] == Event.ERROR:
                error = event
            elif event["event"] == Event.FILE:
                files.append(event)
            reply = await on_event(event)
            if reply is not None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    child.stdin.write(encode(reply))
                    await child.stdin.drain()
        returncode = await child.wait()
        await drain
    finally:
        # ffmpeg or helpers the child left behind share its group: none survives the run
        kill_group(child.pid)
        child.stdin.close()
        drain.cancel()
        running_pids.discard(child.pid)
    tail = b"".join(stderr).decode(errors="replace")[-STDERR_TAIL:]
    return EngineRun(returncode, error, tail, files)
