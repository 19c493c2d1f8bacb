"""The engine protocol in one place: what the worker (``runner.py``, ``pipeline.py``) and the engine
children (``child_*.py``) say to each other, so neither side spells a name the other does not know.

A job's child reads its config as one JSON line on stdin and writes JSON-line events on stdout,
each ``{"event": <Event>, ...}``; the worker may answer an event with one command line
``{"action": <Action>, ...}``. The warm fork server (``child_forkserver.py``) and the worker talk
over a Unix socket: ``{"control": <Control>, ...}`` messages, the fork request carrying the
child's stdin, stdout and stderr as file descriptors.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

Message = dict[str, Any]


class Event(StrEnum):
    """From an engine child to the worker."""

    PROBE = "probe"  # items=[{...META_KEYS, "ext", "kind"}], engine_version; the worker answers with an Action
    PROGRESS = "progress"  # stage=Stage, bytes, total, speed, eta (converting: the file's share done)
    FILE = "file"  # path, meta, conversion={"video": ..., "audio": ...}
    ERROR = "error"  # stage, message; the child exits non-zero after it
    LISTING = "listing"  # title, items=[{url, platform, external_id, title, posted_at}] (child_list.py)


class Action(StrEnum):
    """From the worker to an engine child (the answer to ``Event.PROBE``)."""

    DOWNLOAD = "download"  # mode, skip=[item ids already archived]
    STOP = "stop"


class Stage(StrEnum):
    DOWNLOADING = "downloading"
    CONVERTING = "converting"


class Control(StrEnum):
    """Between the worker and a warm fork server."""

    FORK = "fork"  # worker -> server, with three fds: the child's stdin, stdout, stderr
    FORKED = "forked"  # server -> worker: pid (the leader of the child's own session)
    EXITED = "exited"  # server -> worker: pid, returncode (negative: killed by that signal)


def event(name: Event, **fields: Any) -> Message:
    return {"event": str(name), **fields}


def command(action: Action, **fields: Any) -> Message:
    return {"action": str(action), **fields}


def control(kind: Control, **fields: Any) -> Message:
    return {"control": str(kind), **fields}


def encode(message: Message) -> bytes:
    return json.dumps(message, default=str).encode() + b"\n"


def decode(line: bytes | str) -> Message:
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"not a protocol message: {line!r}")
    return message


STOP = command(Action.STOP)
