"""The engine update overlay: newer yt-dlp, yt-dlp-ejs and gallery-dl under MF_DATA_DIR.

Layout: ``engines/versions/<id>/`` (a ``pip --target`` tree) and ``engines/state.json`` naming
the ``current`` and the ``previous`` version (``null``: the pinned packages). Engine processes put
the current version first on ``sys.path`` (``PYTHONPATH``) and read the state at every start, so
a worker on another host sharing the data volume follows the same overlay from its next job; the
pinned packages stay underneath as the fallback.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings, get_settings

ENGINE_PACKAGES = ("yt-dlp", "yt-dlp-ejs", "gallery-dl")


@dataclass(frozen=True)
class OverlayState:
    current: str | None = None  # a version id under engines/versions, None: the pinned packages
    previous: str | None = None
    rollback_ready: bool = False  # a previous state exists to go back to (None counts: pinned)


def engines_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).data_dir / "engines"


def versions_dir(settings: Settings | None = None) -> Path:
    return engines_dir(settings) / "versions"


def read_state(settings: Settings | None = None) -> OverlayState:
    """The state on the shared volume; a missing or unreadable file means the pinned packages."""
    try:
        raw = json.loads((engines_dir(settings) / "state.json").read_text())
    except (OSError, ValueError):
        return OverlayState()
    return OverlayState(raw.get("current"), raw.get("previous"), bool(raw.get("rollback_ready")))


def write_state(state: OverlayState, settings: Settings | None = None) -> None:
    """Atomically (write, fsync, rename): a reader on another host sees the old or the new state."""
    folder = engines_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".state-")
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {"current": state.current, "previous": state.previous, "rollback_ready": state.rollback_ready}, handle
        )
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / "state.json")


def active_overlay(settings: Settings | None = None) -> Path | None:
    """The directory engine processes put first on sys.path, None for the pinned packages."""
    current = read_state(settings).current
    if current is None:
        return None
    path = versions_dir(settings) / current
    return path if path.is_dir() else None


def with_overlay(env: dict[str, str], overlay: Path | None) -> dict[str, str]:
    """``env`` for an engine process: the overlay first on its ``PYTHONPATH`` (when there is one)."""
    env = dict(env)
    rest = [part for part in env.get("PYTHONPATH", "").split(os.pathsep) if part]
    env["PYTHONPATH"] = os.pathsep.join([str(overlay), *rest] if overlay else rest)
    if not env["PYTHONPATH"]:
        del env["PYTHONPATH"]
    return env
