"""Is this installation equipped for the seed platforms? One fact per line, a plain sentence for
anything missing. Shared by ``cli doctor``, the Settings page's Engines section and the
dashboard's status (no Reflex here)."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .engine_overlay import read_state
from .engine_report import collect
from .engine_setup import js_runtime
from .ffmpeg import FfmpegTimeout, ffmpeg_exe, ffprobe_exe, run
from .settings import get_settings
from .sizes import human_bytes

ENCODERS = ("libx264", "aac", "libmp3lame")  # H.264/AAC MP4 and MP3 192k (docs/ARCHITECTURE.md §4.3)
LOW_SPACE_BYTES = 1024**3


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found (versions, counts)
    problem: str = ""  # when not ok: what is wrong and what to do, in one sentence
    required: bool = True  # a seed platform needs it: ``doctor`` exits non-zero without it

    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.required else "warn")
        text = f"{mark} {self.name}: {self.detail}"
        return f"{text} - {self.problem}" if self.problem else text


def engine_checks(report: dict[str, Any]) -> list[Check]:
    """yt-dlp, yt-dlp-ejs, gallery-dl, the JS runtime and impersonation, from ``engine_report``."""
    if "error" in report:
        return [Check("engines", False, "not started", f"{report['error']} Reinstall the requirements.")]
    overlay = read_state().current

    def where(package: str) -> str:
        return f"update {overlay}" if package in report.get("from_update", []) else "pinned"

    runtime_name, runtime_path = js_runtime()
    runtimes = report.get("js_runtimes") or "none"
    targets = report.get("impersonate") or []
    clients = sorted({target.split("-", 1)[0] for target in targets})
    return [
        Check("yt-dlp", True, f"{report['yt_dlp']} ({where('yt-dlp')})"),
        Check(
            "yt-dlp-ejs",
            bool(report.get("yt_dlp_ejs")),
            report.get("yt_dlp_ejs") or "missing",
            ""
            if report.get("yt_dlp_ejs")
            else "yt-dlp-ejs is not installed, so YouTube videos lose formats or fail: "
            "install the pinned requirements.",
        ),
        Check("gallery-dl", True, f"{report['gallery_dl']} ({where('gallery-dl')})"),
        Check(
            "JS runtime",
            runtimes != "none",
            runtimes,
            ""
            if runtimes != "none"
            else f"yt-dlp finds no JavaScript runtime ({runtime_name} at {runtime_path or 'PATH'}), so YouTube "
            "videos lose formats or fail: install the pinned requirements or fix MF_JS_RUNTIME.",
        ),
        Check(
            "impersonation",
            bool(targets),
            f"{len(targets)} targets ({', '.join(clients)})" if targets else "none",
            ""
            if targets
            else "curl-cffi is missing, so sites that check the browser (TikTok and others) refuse "
            "downloads: install the pinned requirements.",
        ),
    ]


def ffmpeg_check() -> Check:
    """ffmpeg's version, the encoders the pipeline uses, and ffprobe for yt-dlp's post-processors."""
    try:
        version = run(["-version"], timeout_s=30).stdout.splitlines()
        encoders = run(["-encoders"], timeout_s=30).stdout
    except (OSError, FfmpegTimeout) as exc:
        return Check("ffmpeg", False, "not runnable", f"ffmpeg at {ffmpeg_exe()} does not run ({exc}): set FFMPEG.")
    name = " ".join(version[0].split()[:3]) if version else "ffmpeg"
    present = {
        encoder: re.search(rf"^\s*\S+\s+{encoder}\s", encoders, re.MULTILINE) is not None for encoder in ENCODERS
    }
    listed = ", ".join(f"{encoder} {'yes' if found else 'no'}" for encoder, found in present.items())
    probe = "ffprobe yes" if ffprobe_exe() else "ffprobe no"
    missing = [encoder for encoder, found in present.items() if not found]
    problem = ""
    if missing:
        problem = (
            f"This ffmpeg cannot encode with {', '.join(missing)}, so videos or MP3s cannot be made: "
            "set FFMPEG to a full build."
        )
    elif not ffprobe_exe():
        problem = "There is no ffprobe, so some of yt-dlp's conversions fail: install the pinned requirements."
    return Check("ffmpeg", not problem, f"{name} ({listed}, {probe})", problem)


def _service(name: str, ok: bool, fix: str) -> Check:
    return Check(name, ok, "reachable" if ok else "unreachable", "" if ok else fix)


def database_check() -> Check:
    from .db import session_scope
    from .system import database_ok

    try:
        with session_scope() as db:
            ok = database_ok(db)
    except Exception:
        ok = False
    return _service("database", ok, "PostgreSQL does not answer: start it or fix DATABASE_URL.")


def redis_check() -> Check:
    from .system import redis_ok

    try:
        ok = redis_ok()
    except Exception:
        ok = False
    return _service("Redis", ok, "Redis does not answer: start it or fix REDIS_URL.")


def media_check() -> Check:
    root = get_settings().media_root
    if not root.is_dir() or not os.access(root, os.W_OK):
        return Check(
            "media volume",
            False,
            str(root),
            "The media folder is missing or not writable: mount it or fix MF_MEDIA_ROOT.",
        )
    free = shutil.disk_usage(root).free
    detail = f"{root}, {human_bytes(free)} free"
    if free < LOW_SPACE_BYTES:
        return Check("media volume", False, detail, "Less than 1 GB is free: make room before downloading more.")
    return Check("media volume", True, detail)


def engine_facts() -> list[Check]:
    """The engine lines alone (no database or Redis): what Settings > Engines shows."""
    try:
        js_runtime()
    except ValueError as exc:  # the engines would not start either
        return [Check("JS runtime", False, "misconfigured", f"{exc}: fix MF_JS_RUNTIME."), ffmpeg_check()]
    return [*engine_checks(collect()), ffmpeg_check()]


def run_all() -> list[Check]:
    return [*engine_facts(), database_check(), redis_check(), media_check()]


def healthy(checks: Iterable[Check]) -> bool:
    return all(check.ok or not check.required for check in checks)


class _EngineFactsCache:
    """The last engine facts (a few seconds to gather), for the dashboard's status: served at once,
    refreshed in a background thread when older than ``max_age_s`` or when the overlay changed."""

    def __init__(self, max_age_s: float = 600) -> None:
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._facts: list[Check] | None = None
        self._key: tuple[str | None, float] = (None, 0.0)
        self._refreshing = False

    def refresh(self) -> list[Check]:
        """Gather now (Settings' "Check again"), and keep the result."""
        facts = engine_facts()
        with self._lock:
            self._facts, self._key = facts, (read_state().current, time.monotonic())
        return facts

    def _refresh_in_background(self) -> None:
        try:
            self.refresh()
        finally:
            with self._lock:
                self._refreshing = False

    def latest(self) -> list[Check] | None:
        """What is known now (None before the first gathering ends); starts a refresh when stale."""
        with self._lock:
            overlay, at = self._key
            stale = self._facts is None or overlay != read_state().current or time.monotonic() - at > self.max_age_s
            if stale and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh_in_background, daemon=True).start()
            return self._facts


engine_facts_cache = _EngineFactsCache()
