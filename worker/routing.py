"""Which engine handles a probed URL, in which mode (docs/ARCHITECTURE.md §4.3).

Pure functions on plain dicts: the yt-dlp child and the worker both use them, so this module
imports nothing heavy (engine children start on every job).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Raster formats Pillow decodes (worker/content.py checks every stored file). No HEIC: Pillow has
# no decoder for it, and browsers would not show it anyway.
IMAGE_EXTS = frozenset({"jpg", "jpeg", "png", "webp", "gif", "avif", "bmp"})
AUDIO_EXTS = frozenset({"mp3", "m4a", "opus", "ogg", "oga", "wav", "flac", "aac"})
AUDIO_PLATFORMS = frozenset({"soundcloud", "bandcamp", "mixcloud", "audiomack"})

VIDEO, AUDIO, IMAGE = "video", "audio", "image"  # the values of models.MediaKind
YTDLP = "yt-dlp"
DIRECT = "http"  # a direct file link, fetched in the worker (engines/direct.py)
GALLERYDL = "gallery-dl"


def item_kind(info: dict[str, Any]) -> str:
    """Kind of one probed yt-dlp item: by extension first (a plain image URL "succeeds" as a
    video, docs/ARCHITECTURE.md §8), then by the codecs of the formats yt-dlp would pick."""
    ext = str(info.get("ext") or "").lower()
    if ext in IMAGE_EXTS:
        return IMAGE
    if str(info.get("extractor_key") or "").lower() in AUDIO_PLATFORMS or ext in AUDIO_EXTS:
        return AUDIO
    formats = info.get("requested_formats") or [info]
    has_video = any(f.get("vcodec") != "none" for f in formats)  # unknown codecs: assume video
    has_audio = any(f.get("acodec") not in (None, "none") for f in formats)
    if not has_video and has_audio:
        return AUDIO
    return VIDEO


@dataclass(frozen=True)
class Route:
    engine: str
    mode: str  # "video" | "audio" | "image"


def choose(kinds: list[str]) -> Route:
    """Route by what the probe found (a job that asks for audio never gets here: ``JobRun.plan``)."""
    if not kinds or all(kind == IMAGE for kind in kinds):
        return Route(GALLERYDL, IMAGE)
    if VIDEO in kinds:
        return Route(YTDLP, VIDEO)
    return Route(YTDLP, AUDIO)
