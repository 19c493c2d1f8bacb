"""What the engines see, asked in an engine's own environment (the update overlay first on its
path, the options ``engine_setup`` gives yt-dlp): yt-dlp's verbose dependency report, its
impersonation targets, and the versions actually imported.

``collect()`` runs ``python -m mediafetcher_app.core.engine_report`` and reads the JSON it prints.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .engine_overlay import active_overlay, with_overlay


class _Lines:
    """yt-dlp's logger, keeping the debug header's lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def debug(self, message: str) -> None:
        self.lines.append(message.removeprefix("[debug] "))

    info = warning = error = debug


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _field(lines: list[str], label: str) -> str | None:
    return next((line.removeprefix(label).strip() for line in lines if line.startswith(label)), None)


def report() -> dict[str, Any]:
    """In this process: yt-dlp's own report with our options (``-v``'s header)."""
    from yt_dlp import YoutubeDL
    from yt_dlp.version import __version__ as ytdlp_version

    from .engine_setup import ytdlp_equipment

    log = _Lines()
    with YoutubeDL({"verbose": True, "quiet": True, "logger": log, **ytdlp_equipment()}) as ydl:
        ydl.print_debug_header()
        targets = sorted({str(target) for target, _handler in ydl._get_available_impersonate_targets()})
    import gallery_dl.version
    import yt_dlp

    try:
        import yt_dlp_ejs
    except ImportError:  # the doctor says what that costs
        yt_dlp_ejs = None
    overlay = active_overlay()
    modules = {"yt-dlp": yt_dlp, "yt-dlp-ejs": yt_dlp_ejs, "gallery-dl": gallery_dl}
    return {
        "from_update": [
            name
            for name, module in modules.items()
            if module and overlay and overlay in Path(module.__file__ or "").parents
        ],
        "yt_dlp": ytdlp_version,
        "yt_dlp_path": os.path.dirname(yt_dlp.__file__),
        "yt_dlp_ejs": _version("yt-dlp-ejs"),
        "gallery_dl": gallery_dl.version.__version__,
        "js_runtimes": _field(log.lines, "JS runtimes:"),
        "libraries": _field(log.lines, "Optional libraries:"),
        "executables": _field(log.lines, "exe versions:"),
        "request_handlers": _field(log.lines, "Request Handlers:"),
        "impersonate": targets,
    }


def collect(timeout_s: float = 120) -> dict[str, Any]:
    """The report from a fresh engine-like process; ``{"error": sentence}`` when it cannot run."""
    env = with_overlay({**os.environ, "YTDLP_NO_PLUGINS": "1"}, active_overlay())
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"The engines did not answer within {timeout_s:g} s."}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"The engines could not start: {last}"}
    return json.loads(lines[-1])


if __name__ == "__main__":
    print(json.dumps(report()))
