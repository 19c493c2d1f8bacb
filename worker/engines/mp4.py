"""Make a downloaded video an MP4 that Chromium and Plex/Jellyfin play directly.

That is H.264 (yuv420p) + AAC with the ``moov`` box first. Streams already right are copied;
only the wrong ones are transcoded, and a file that is right as a whole is not touched at all.
A file with no stream at all is handed on as it is: the worker's content check refuses it with
the sentence users should see (worker/content.py), not a conversion error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mediafetcher_app.core.ffmpeg import MediaInfo, inspect, is_faststart, run_reporting, threads_per_job
from mediafetcher_app.core.settings import get_settings

PLAYABLE_PIX_FMTS = {"yuv420p", "yuvj420p"}


def plan(info: MediaInfo, max_height: int | None = None) -> dict[str, str]:
    """``{"video": "copy"|"h264", "audio": "copy"|"aac"}`` for the streams the file has; a video
    taller than ``max_height`` (the download choice's cap) is scaled down, so transcoded."""
    steps: dict[str, str] = {}
    if (video := info.video) is not None:
        right = video.codec == "h264" and (video.pix_fmt or "yuv420p") in PLAYABLE_PIX_FMTS
        fits = max_height is None or video.height is None or video.height <= max_height
        steps["video"] = "copy" if right and fits else "h264"
    if (audio := info.audio) is not None:
        steps["audio"] = "copy" if audio.codec == "aac" else "aac"
    return steps


def _codec_args(steps: dict[str, str], max_height: int | None = None) -> list[str]:
    args = ["-map", "0:v:0?", "-map", "0:a:0?", "-threads", str(threads_per_job())]
    if steps.get("video") == "h264":
        args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
        if max_height is not None:  # never taller than the cap, never enlarged; width even for H.264
            args += ["-vf", f"scale=-2:'min({max_height},ih)'"]
    else:
        args += ["-c:v", "copy"]
    if steps.get("audio") == "aac":
        args += ["-c:a", "aac", "-b:a", "192k"]
    else:
        args += ["-c:a", "copy"]
    return args


def make_playable(
    path: Path, max_height: int | None = None, on_percent: Callable[[int], None] = lambda _: None
) -> tuple[Path, dict[str, str]]:
    """Return the playable file (maybe ``path`` itself) and what was done to each stream; a
    video taller than ``max_height`` comes out ``max_height`` tall, and a conversion reports how
    far it got to ``on_percent``."""
    info = inspect(path)
    steps = plan(info, max_height)
    if not steps:
        return path, {}
    is_mp4 = path.suffix.lower() == ".mp4" and info.container.startswith("mov,mp4")
    if is_mp4 and "h264" not in steps.values() and "aac" not in steps.values() and is_faststart(path):
        return path, {kind: "untouched" for kind in steps}
    target = path.with_name(path.stem + ".playable.mp4")
    command = ["-loglevel", "error", "-y", "-i", str(path)]
    command += [*_codec_args(steps, max_height), "-map_metadata", "-1", "-movflags", "+faststart", str(target)]
    # a conversion may take as long as its job
    result = run_reporting(command, info.duration_s, on_percent, timeout_s=get_settings().job_timeout_s)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not convert the video: {result.stderr.strip()[-1000:]}")
    path.unlink()
    return target, steps
