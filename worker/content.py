"""What a downloaded file really is, decided by its bytes alone (docs/ARCHITECTURE.md §6).

Links lie: an HTML page served as ``image/jpeg``, an SVG with a script, JSON named ``.mp4``, a zip
named ``.png``, a JPEG header glued to a web page. Only bytes that Pillow decodes as a raster image,
or that give decoded frames and a duration from an allowed audio/video container, are stored. The
kind, MIME type and extension come from what decoded, never from the name or the Content-Type.
Anything else raises ``errors.not_media`` (the pipeline then tries its next engine).

A file that decodes but carries active content where browsers, PDF readers and unzip tools look
for it (its first and last few KiB) is refused too: such polyglots are made, not downloaded. The
markers are long enough that compressed media data matches one by chance about once in a million
files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mediafetcher_app.core.ffmpeg import FfmpegTimeout, MediaInfo, Still, Stream, inspect
from mediafetcher_app.core.media_types import CONTAINERS, IMAGE_TYPES, WEBM, WEBM_CODECS
from mediafetcher_app.core.models import MediaKind

from .errors import not_media

_PILLOW_FORMATS = sorted(set(IMAGE_TYPES) - {"MPO"})  # the JPEG opener hands out MPO itself
DECODE_S = 2  # seconds of each stream decoded: enough to tell real frames from a lying header
SNIFF_WINDOW = 4096
_ACTIVE = re.compile(
    rb"</?(?:!doctype|html|head|body|script|iframe|object|embed|svg)[\s>/]|<\?php|%PDF-|PK\x03\x04|PK\x05\x06",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Content:
    """What decoded: the file's kind, its MIME type and extension, and its measurements."""

    kind: MediaKind
    mime: str
    ext: str
    width: int | None
    height: int | None
    duration_s: float | None
    info: MediaInfo | None  # what ffmpeg found (None for images: Pillow read them)


def identify(path: Path, still: Still | None = None) -> Content:
    """The content of ``path``; raises PipelineError (``not_media``) for anything but media. A
    video's decoding also writes ``still`` (see ``ffmpeg.inspect``)."""
    _refuse_active_content(path)
    return _image(path) or _audio_video(path, still)


def _refuse_active_content(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_WINDOW)
        handle.seek(max(0, path.stat().st_size - SNIFF_WINDOW))
        tail = handle.read(SNIFF_WINDOW)
    for window in (head, tail):
        if (found := _ACTIVE.search(window)) is not None:
            raise not_media(f"{path.name} carries {found.group(0)[:16]!r}: a web page, script, PDF or archive")


def _image(path: Path) -> Content | None:
    """The picture in ``path``, fully decoded; None when Pillow does not know the bytes at all."""
    try:
        with Image.open(path, formats=_PILLOW_FORMATS) as image:
            image.load()
            ext, mime = IMAGE_TYPES[str(image.format)]
            width, height = image.size
    except UnidentifiedImageError:
        return None  # not a picture: maybe a song or a video
    except Exception as exc:  # truncated, corrupt or bomb: Pillow raises many kinds
        raise not_media(f"{path.name} looks like a picture but does not decode: {exc}") from exc
    return Content(MediaKind.image, mime, ext, width, height, None, None)


def _types(info: MediaInfo, decoded: list[Stream]) -> tuple[tuple[str, str] | None, tuple[str, str]] | None:
    types = CONTAINERS.get(info.container)
    if info.container == "matroska,webm" and all(stream.codec in WEBM_CODECS for stream in decoded):
        return WEBM
    return types


def _audio_video(path: Path, still: Still | None) -> Content:
    try:
        info = inspect(path, decode_s=DECODE_S, still=still)
    except FfmpegTimeout as exc:
        raise not_media(f"{path.name}: {exc}") from exc
    decoded = [s for s in info.streams if s.frames_decoded and not s.attached_pic]
    types = _types(info, decoded)
    if types is None:
        raise not_media(f"{path.name}: {info.container or 'no known'} format is not a picture, song or video")
    if not decoded or not info.duration_s:
        raise not_media(f"{path.name}: no stream decodes ({info.container}, duration {info.duration_s})")
    video = next((s for s in decoded if s.kind == "video"), None)
    (video_type, audio_type) = types
    if video is not None and video_type is not None:
        ext, mime = video_type
        return Content(MediaKind.video, mime, ext, video.width, video.height, info.duration_s, info)
    if not any(s.kind == "audio" for s in decoded):
        raise not_media(f"{path.name}: no sound in a {info.container} file")
    ext, mime = audio_type
    return Content(MediaKind.audio, mime, ext, None, None, info.duration_s, info)
