"""Finding ffmpeg and reading what a media file holds.

There is no ffprobe in the imageio-ffmpeg wheel (DESIGN.md §8), so stream facts come from the
banner ``ffmpeg -i`` prints to stderr.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+(?:\[\w+\])?(?:\(\w+\))?: (Video|Audio): (\w+)([^\n]*)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_PIX_FMT = re.compile(r"^,?\s*[^,]*?(?:\([^)]*\))?[^,]*, (\w+)(?:\(|,|\s|$)")
_BITRATE = re.compile(r"(\d+) kb/s")


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """FFMPEG from the environment, else the one on PATH, else the imageio-ffmpeg wheel's binary."""
    configured = os.environ.get("FFMPEG")
    if configured:
        return configured
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class Stream:
    kind: str  # "video" | "audio"
    codec: str
    pix_fmt: str | None
    width: int | None
    height: int | None
    bitrate_kbps: int | None
    attached_pic: bool


@dataclass(frozen=True)
class MediaInfo:
    container: str
    duration_s: float | None
    streams: tuple[Stream, ...]

    @property
    def video(self) -> Stream | None:
        """The first real video stream (a cover picture in an audio file does not count)."""
        return next((s for s in self.streams if s.kind == "video" and not s.attached_pic), None)

    @property
    def audio(self) -> Stream | None:
        return next((s for s in self.streams if s.kind == "audio"), None)

    @property
    def cover(self) -> Stream | None:
        return next((s for s in self.streams if s.kind == "video" and s.attached_pic), None)


def parse_banner(text: str) -> MediaInfo:
    """Read container, duration and streams from ``ffmpeg -i`` stderr."""
    container = ""
    if (m := re.search(r"Input #0, ([\w,]+), from", text)) is not None:
        container = m.group(1)
    duration = None
    if (m := _DURATION.search(text)) is not None:
        duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    streams = []
    for kind, codec, rest in _STREAM.findall(text):
        size = _SIZE.search(rest) if kind == "Video" else None
        pix = _PIX_FMT.match(rest) if kind == "Video" else None
        rate = _BITRATE.search(rest)
        streams.append(
            Stream(
                kind=kind.lower(),
                codec=codec,
                pix_fmt=pix.group(1) if pix else None,
                width=int(size.group(1)) if size else None,
                height=int(size.group(2)) if size else None,
                bitrate_kbps=int(rate.group(1)) if rate else None,
                attached_pic="(attached pic)" in rest,
            )
        )
    return MediaInfo(container=container, duration_s=duration, streams=tuple(streams))


def inspect(path: Path) -> MediaInfo:
    """What ``path`` holds; an unreadable file gives a MediaInfo without streams."""
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    return parse_banner(result.stderr)


def is_faststart(path: Path) -> bool:
    """True when the MP4's ``moov`` box comes before ``mdat`` (browsers start playing at once)."""
    with path.open("rb") as handle:
        while header := handle.read(8):
            if len(header) < 8:
                return False
            size, box = int.from_bytes(header[:4], "big"), header[4:8]
            if box == b"moov":
                return True
            if box == b"mdat":
                return False
            if size == 1:
                size = int.from_bytes(handle.read(8), "big") - 8
            elif size == 0:
                return False
            handle.seek(size - 8, os.SEEK_CUR)
    return False
