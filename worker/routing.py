"""Which engine handles a probed URL, in which mode (DESIGN.md §4.3).

Pure functions on plain dicts: the yt-dlp child and the worker both use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mediafetcher_app.core.models import MediaKind

IMAGE_EXTS = frozenset({"jpg", "jpeg", "png", "webp", "gif", "avif", "heic", "bmp"})
AUDIO_EXTS = frozenset({"mp3", "m4a", "opus", "ogg", "oga", "wav", "flac", "aac"})
AUDIO_PLATFORMS = frozenset({"soundcloud", "bandcamp", "mixcloud", "audiomack"})

YTDLP = "yt-dlp"
GALLERYDL = "gallery-dl"


def item_kind(info: dict[str, Any]) -> MediaKind:
    """Kind of one probed yt-dlp item: by extension first (a plain image URL "succeeds" as a
    video, DESIGN.md §8), then by the codecs of the formats yt-dlp would pick."""
    ext = str(info.get("ext") or "").lower()
    if ext in IMAGE_EXTS:
        return MediaKind.image
    if str(info.get("extractor_key") or "").lower() in AUDIO_PLATFORMS or ext in AUDIO_EXTS:
        return MediaKind.audio
    formats = info.get("requested_formats") or [info]
    has_video = any(f.get("vcodec") != "none" for f in formats)  # unknown codecs: assume video
    has_audio = any(f.get("acodec") not in (None, "none") for f in formats)
    if not has_video and has_audio:
        return MediaKind.audio
    return MediaKind.video


def file_kind(ext: str, has_video: bool) -> MediaKind:
    """Kind of a finished file, from what it actually holds."""
    ext = ext.lower()
    if ext in IMAGE_EXTS:
        return MediaKind.image
    return MediaKind.video if has_video else MediaKind.audio


@dataclass(frozen=True)
class Route:
    engine: str
    mode: str  # "video" | "audio" | "image"

    @property
    def fallback(self) -> Route:
        """The other engine, for when this one fails."""
        if self.engine == YTDLP:
            return Route(GALLERYDL, MediaKind.image.value)
        return Route(YTDLP, MediaKind.image.value)


def choose(kinds: list[MediaKind], want: MediaKind | None = None) -> Route:
    """Route by what the probe found; an explicit request for audio wins."""
    if want == MediaKind.audio:
        return Route(YTDLP, MediaKind.audio.value)
    if not kinds or all(kind == MediaKind.image for kind in kinds):
        return Route(GALLERYDL, MediaKind.image.value)
    if MediaKind.video in kinds:
        return Route(YTDLP, MediaKind.video.value)
    return Route(YTDLP, MediaKind.audio.value)
