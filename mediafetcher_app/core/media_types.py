"""The file types MediaFetcher stores, and so the only ones it serves as what they are.

The worker decides a file's type from its decoded content (worker/content.py) and may only pick
from these tables; the HTTP edge (api/media.py) serves a row's MIME type only when it is one of
them. One table for both sides means a type can never be stored that is not served safely, or
served as something the worker never produced.
"""

from __future__ import annotations

# Pillow format -> (stored extension, MIME type). MPO is how Pillow names multi-picture JPEGs.
IMAGE_TYPES: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "MPO": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
    "BMP": ("bmp", "image/bmp"),
    "AVIF": ("avif", "image/avif"),
}
# ffmpeg demuxer -> ((ext, mime) when it holds a picture track, (ext, mime) for sound only)
CONTAINERS: dict[str, tuple[tuple[str, str] | None, tuple[str, str]]] = {
    "mov,mp4,m4a,3gp,3g2,mj2": (("mp4", "video/mp4"), ("m4a", "audio/mp4")),
    "matroska,webm": (("mkv", "video/x-matroska"), ("mka", "audio/x-matroska")),
    "ogg": (("ogv", "video/ogg"), ("ogg", "audio/ogg")),
    "mp3": (None, ("mp3", "audio/mpeg")),
    "flac": (None, ("flac", "audio/flac")),
    "wav": (None, ("wav", "audio/wav")),
    "aac": (None, ("aac", "audio/aac")),
}
# Matroska holding only these codecs is WebM, which browsers play.
WEBM: tuple[tuple[str, str], tuple[str, str]] = (("webm", "video/webm"), ("webm", "audio/webm"))
WEBM_CODECS = frozenset({"vp8", "vp9", "av1", "opus", "vorbis"})
THUMBNAIL_TYPE = "image/webp"  # made by the worker, always WebP


def _stored_mimes() -> frozenset[str]:
    mimes = {mime for _ext, mime in IMAGE_TYPES.values()} | {THUMBNAIL_TYPE}
    for video, audio in [*CONTAINERS.values(), WEBM]:
        mimes |= {audio[1], *([video[1]] if video else [])}
    return frozenset(mimes)


SERVABLE_TYPES = _stored_mimes()
