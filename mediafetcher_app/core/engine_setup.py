"""What yt-dlp runs with, passed as its options (no PATH tricks): the JavaScript runtime it
solves YouTube's challenges with (the ``deno`` wheel's binary unless MF_JS_RUNTIME says
otherwise) and an ffmpeg location that holds ffprobe too."""

from __future__ import annotations

from typing import Any

from .ffmpeg import ffmpeg_location
from .settings import get_settings

JS_RUNTIMES = ("deno", "node", "bun", "quickjs")


def js_runtime() -> tuple[str, str | None]:
    """(name, binary path or None for yt-dlp's own search) from MF_JS_RUNTIME ``name[:path]``."""
    name, _, path = get_settings().js_runtime.partition(":")
    name = name.strip().lower()
    if name not in JS_RUNTIMES:
        raise ValueError(f"MF_JS_RUNTIME: {name!r} is not one of {', '.join(JS_RUNTIMES)}")
    if path.strip():
        return name, path.strip()
    if name == "deno":
        try:
            from deno import find_deno_bin

            return name, find_deno_bin()
        except (ImportError, FileNotFoundError):
            return name, None
    return name, None


def js_runtimes_option() -> dict[str, dict[str, str]]:
    """yt-dlp's ``js_runtimes`` option."""
    name, path = js_runtime()
    return {name: {"path": path} if path else {}}


def ytdlp_equipment() -> dict[str, Any]:
    """The yt-dlp options every engine run and the doctor's report share."""
    return {"js_runtimes": js_runtimes_option(), "ffmpeg_location": str(ffmpeg_location())}
