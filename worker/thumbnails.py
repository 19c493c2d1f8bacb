"""Small WebP thumbnails: a video frame, a resized image, an audio file's cover or its waveform."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageOps

from mediafetcher_app.core import storage
from mediafetcher_app.core.ffmpeg import FfmpegTimeout, MediaInfo, Still, run
from mediafetcher_app.core.models import MediaKind

WIDTH = 320
SCALE = f"scale='min({WIDTH},iw)':-2"
VIDEO_AT_S = 1.0  # a video's thumbnail is its picture at one second (a third in, when shorter)


def still(target: Path) -> Still:
    """The thumbnail the content check's decoding of a video writes on the way (no second run)."""
    return Still(target, VIDEO_AT_S, SCALE)


def _ffmpeg(args: list[str], target: Path) -> bool:
    result = run(["-loglevel", "error", "-y", *args, "-f", "webp", str(target)])
    return result.returncode == 0 and target.stat().st_size > 0


def _image(source: Path, target: Path) -> bool:
    with Image.open(source) as image:
        frame = ImageOps.exif_transpose(image)
        if frame.mode not in ("RGB", "RGBA"):
            frame = frame.convert("RGBA")
        frame.thumbnail((WIDTH, WIDTH))
        frame.save(target, "WEBP", quality=80)
    return True


def make(source: Path, kind: MediaKind, info: MediaInfo | None, target: Path) -> bool:
    """Write a WebP thumbnail of ``source`` to ``target``; False when none could be made."""
    try:
        if kind == MediaKind.image:
            made = _image(source, target)
        elif kind == MediaKind.video:
            at = min(VIDEO_AT_S, (info.duration_s or 0) / 3) if info else 0
            made = _ffmpeg(["-ss", f"{at:.2f}", "-i", str(source), "-frames:v", "1", "-vf", SCALE], target)
        elif info is not None and info.cover is not None:
            made = _ffmpeg(["-i", str(source), "-map", "0:v:0", "-frames:v", "1", "-vf", SCALE], target)
        else:
            wave = f"showwavespic=s={WIDTH}x120:colors=0x4f8cff"
            made = _ffmpeg(["-i", str(source), "-filter_complex", wave, "-frames:v", "1"], target)
    except (OSError, ValueError, FfmpegTimeout):
        made = False
    if not made:
        target.unlink(missing_ok=True)
    return made


def publish(made: Path, sha256: str) -> str:
    """Move a thumbnail made beside its file to ``thumbs/{sha256}.webp``; returns that relative path."""
    relative = storage.thumb_name(sha256)
    final = storage.absolute(relative)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(made, final)
    return relative
