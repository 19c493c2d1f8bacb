"""Engine updates without a rebuild: newer yt-dlp, yt-dlp-ejs and gallery-dl into the overlay
(``engine_overlay``), a self-test before the switch, the previous version kept for rollback.

Each update is staged in a new directory (a copy of the current overlay, the updated packages
replaced by ``pip install --no-deps --target``), self-tested in a fresh process, and only then
named in ``state.json``: a failed update leaves the state and the running engines as they were.
Updates come from pip's configured index, or MF_ENGINE_INDEX (an index URL or a wheel folder).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from secrets import token_hex

from packaging.utils import canonicalize_name

from . import events
from .db import session_scope
from .engine_overlay import (
    ENGINE_PACKAGES,
    OverlayState,
    active_overlay,
    engines_dir,
    read_state,
    versions_dir,
    with_overlay,
    write_state,
)
from .errors import DomainError
from .settings import get_settings

PIP_TIMEOUT_S = 600
SELF_TEST_TIMEOUT_S = 300
EVENT_KIND = "engines"


@dataclass(frozen=True)
class EngineVersion:
    package: str
    active: str | None  # what engine processes load now
    available: str | None  # the newest on the index (or the version asked for)

    @property
    def newer(self) -> bool:
        return self.available is not None and self.available != self.active


def _distribution(package: str, path: list[str]) -> metadata.Distribution | None:
    """The first distribution of ``package`` along ``path`` (as an import would find it)."""
    for dist in metadata.distributions(path=path):
        if canonicalize_name(dist.metadata["Name"] or "") == canonicalize_name(package):
            return dist
    return None


def active_versions() -> dict[str, str | None]:
    """The version of each engine package an engine process imports now (overlay first)."""
    overlay = active_overlay()
    path = [str(overlay), *sys.path] if overlay else sys.path
    return {package: getattr(_distribution(package, path), "version", None) for package in ENGINE_PACKAGES}


def _index_args() -> list[str]:
    index = get_settings().engine_index
    if not index:
        return []
    if "://" in index:
        return ["--index-url", index]
    return ["--no-index", "--find-links", index]  # a folder of wheels (an offline NAS)


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", *args, "--no-input", "--disable-pip-version-check", *_index_args()]
    try:
        return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise DomainError(f"pip did not answer within {PIP_TIMEOUT_S} s; nothing changed.") from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _specs(packages: Sequence[str], version: str | None) -> list[str]:
    if version is not None and len(packages) != 1:
        raise DomainError("--version needs one engine (--engine yt-dlp, yt-dlp-ejs or gallery-dl).")
    unknown = [package for package in packages if package not in ENGINE_PACKAGES]
    if unknown:
        raise DomainError(f"Unknown engine {unknown[0]!r}: choose from {', '.join(ENGINE_PACKAGES)}.")
    return [f"{package}=={version}" if version else package for package in packages]


def _available(spec: str) -> tuple[str | None, str]:
    """(version pip would install for ``spec``, or None and pip's reason), installing nothing."""
    report = engines_dir() / f".report-{os.getpid()}-{token_hex(3)}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    try:
        done = _pip("install", "--dry-run", "--ignore-installed", "--no-deps", "--quiet", "--report", str(report), spec)
        if done.returncode != 0:
            return None, _last_line(done.stderr)
        installs = json.loads(report.read_text()).get("install", [])
    finally:
        report.unlink(missing_ok=True)
    return (installs[0]["metadata"]["version"], "") if installs else (None, "nothing to install")


def check(packages: Sequence[str] = ENGINE_PACKAGES, version: str | None = None) -> list[EngineVersion]:
    """Active and available version of each package; raises when none can be looked up."""
    active = active_versions()
    found = {spec.partition("==")[0]: _available(spec) for spec in _specs(packages, version)}
    if all(available is None for available, _ in found.values()):
        reason = next(iter(found.values()))[1]
        raise DomainError(f"No engine update could be found: {reason}")
    return [EngineVersion(package, active[package], found[package][0]) for package in packages]


@contextmanager
def _update_lock() -> Iterator[None]:
    """One update or rollback at a time, across processes and hosts sharing the volume."""
    folder = engines_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DomainError("Another engine update is running; try again when it has finished.") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _drop_distribution(staging: Path, package: str) -> None:
    """Remove ``package``'s files (its RECORD) from the staged copy before pip puts the new one in."""
    dist = _distribution(package, [str(staging)])
    if dist is None:
        return
    tops = {Path(str(entry)).parts[0] for entry in dist.files or [] if not str(entry).startswith("..")}
    for top in tops:
        target = staging / top
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)


def self_test(overlay: Path, expected: dict[str, str]) -> str | None:
    """None when the engines in ``overlay`` pass, else the reason."""
    env = {
        key: value for key, value in os.environ.items() if key.lower() not in {"http_proxy", "https_proxy", "all_proxy"}
    }
    command = [sys.executable, "-m", "mediafetcher_app.core.engine_selftest", json.dumps(expected), str(overlay)]
    try:
        done = subprocess.run(
            command,
            env=with_overlay({**env, "YTDLP_NO_PLUGINS": "1"}, overlay),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=SELF_TEST_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return f"the self-test did not finish within {SELF_TEST_TIMEOUT_S} s"
    return None if done.returncode == 0 else _last_line(done.stderr)


def _describe(versions: dict[str, str]) -> str:
    return ", ".join(f"{package} {version}" for package, version in versions.items())


def _record(message: str, user_id: int | None) -> None:
    with session_scope() as db:
        events.record(db, EVENT_KIND, message, user_id=user_id)


def _stage(changes: dict[str, str]) -> Path:
    """A new overlay: a copy of the current one with ``changes`` installed over it."""
    staging = versions_dir() / f".staging-{token_hex(4)}"
    current = active_overlay()
    if current is not None:
        shutil.copytree(current, staging, symlinks=True)
    else:
        staging.mkdir(parents=True)
    for package in changes:
        _drop_distribution(staging, package)
    specs = [f"{package}=={version}" for package, version in changes.items()]
    done = _pip("install", "--no-deps", "--upgrade", "--quiet", "--target", str(staging), *specs)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise DomainError(f"Installing {_describe(changes)} failed: {_last_line(done.stderr)}")
    return staging


def _prune(keep: set[str | None]) -> None:
    """Versions other than the current and the previous one go (rollback needs no more)."""
    for entry in versions_dir().iterdir():
        if entry.name not in keep and not entry.name.startswith(".staging-"):
            shutil.rmtree(entry, ignore_errors=True)


def update(packages: Sequence[str] = ENGINE_PACKAGES, version: str | None = None, user_id: int | None = None) -> str:
    """Install what is newer (or ``version``), self-test, then switch. Returns a sentence saying
    what happened; raises DomainError (and changes nothing) when the update fails. Both are events."""
    with _update_lock():
        try:
            return _update(packages, version, user_id)
        except DomainError as exc:
            _record(exc.message, user_id)
            raise


def _update(packages: Sequence[str], version: str | None, user_id: int | None) -> str:
    found = check(packages, version)
    changes = {item.package: item.available for item in found if item.newer and item.available}
    if not changes:
        return "The engines are current: " + _describe({i.package: i.active or "missing" for i in found}) + "."
    staging = _stage(changes)
    failure = self_test(staging, changes)
    if failure is not None:
        shutil.rmtree(staging, ignore_errors=True)
        raise DomainError(f"Engine update to {_describe(changes)} failed its self-test ({failure}); nothing changed.")
    name = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{token_hex(2)}"
    staging.rename(versions_dir() / name)
    before = read_state()
    write_state(OverlayState(current=name, previous=before.current, rollback_ready=True))
    _prune({name, before.current})
    message = f"Engines updated: {_describe(changes)}; engines use it from their next job."
    _record(message, user_id)
    return message


def rollback(user_id: int | None = None) -> str:
    """Switch back to the version in force before the last update or rollback (one click)."""
    with _update_lock():
        state = read_state()
        if not state.rollback_ready:
            raise DomainError("There is no earlier engine version to roll back to.")
        if state.previous is not None and not (versions_dir() / state.previous).is_dir():
            raise DomainError(f"The earlier engine version {state.previous} is gone; nothing changed.")
        write_state(OverlayState(current=state.previous, previous=state.current, rollback_ready=True))
        versions = active_versions()
        message = "Engines rolled back to " + ("the pinned versions" if state.previous is None else state.previous)
        message += f": {_describe({k: v or 'missing' for k, v in versions.items()})}."
        _record(message, user_id)
        return message
