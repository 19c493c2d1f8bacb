"""yt-dlp in a job's engine child: probe, wait for the worker's decision, download.

Forked by ``child_forkserver`` (``prepare`` once in the server, ``main`` per job); the config
arrives as one JSON line on stdin. Events out (``protocol.Event``): probe, progress, file,
error. After the probe the worker answers with ``Action.DOWNLOAD`` (mode, skip) or ``Action.STOP``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from yt_dlp.downloader.external import FFmpegFD
from yt_dlp.postprocessor.common import PostProcessor
from yt_dlp.version import __version__ as YTDLP_VERSION

from mediafetcher_app.core.engine_setup import ytdlp_equipment
from mediafetcher_app.core.presets import COMPATIBLE, max_height
from worker import egress
from worker.engines import child_io as child
from worker.engines import ytdlp_warm
from worker.engines.mp4 import make_playable
from worker.engines.protocol import Action, Event, Stage
from worker.routing import item_kind

H264 = "[vcodec~='^(avc1|h264)']"
AAC = "[acodec~='^(mp4a|aac)']"
# Only protocols yt-dlp downloads itself: never ffmpeg (cookies and headers on its command line)
# or rtmpdump and the like (connections that would not go through the egress proxy).
NATIVE = "[protocol~='^(https?|m3u8(_native)?|http_dash_segments(_generator)?|f4m|ism)$']"


def video_format(max_height: int | None) -> str:
    """yt-dlp's format choice for a video under a download choice's height cap. With a cap
    (compatible, 720p), H.264/AAC first, so the common case needs no transcode; without one
    (best), the best the site has, and whatever browsers cannot play is fixed afterwards."""
    if max_height is None:
        return f"bv*{NATIVE}+ba{NATIVE}/b{NATIVE}"
    fits = f"[height<=?{max_height}]"
    return (
        "/".join(
            f"{video}{fits}{NATIVE}+{audio}{NATIVE}" if audio else f"{video}{fits}{NATIVE}"
            for video, audio in (
                (f"bv*{H264}", f"ba{AAC}"),
                (f"b{H264}{AAC}", None),
                (f"bv*{H264}", "ba"),
                (f"b{H264}", None),
                ("bv*", "ba"),
                ("b", None),
            )
        )
        + f"/b{NATIVE}"
    )  # nothing within the cap: the best there is, scaled down afterwards


VIDEO_FORMAT = video_format(max_height(COMPATIBLE))
META_KEYS = (
    "id",
    "title",
    "description",
    "uploader",
    "uploader_id",
    "channel",
    "timestamp",
    "upload_date",
    "release_timestamp",
    "tags",
    "categories",
    "genres",
    "duration",
    "width",
    "height",
    "webpage_url",
    "original_url",
    "extractor_key",
    "playlist_id",
    "playlist_title",
    "playlist_index",
    "like_count",
    "view_count",
)


class _Log:
    """yt-dlp's logger: keep recent lines so an empty result can still say why."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def _keep(self, msg: str) -> None:
        self.lines = [*self.lines[-30:], msg]

    debug = info = warning = error = _keep

    def text(self) -> str:
        return "\n".join(self.lines)

    def failure(self, exc: BaseException) -> str:
        """yt-dlp's error, plus a refusal of the egress proxy it logged on the way (a segment's, a
        redirect's), which tells more than "the downloaded file is empty"."""
        refusal = next((line for line in self.lines if egress.REFUSED_REASON in line), None)
        return f"{exc}\n{refusal}" if refusal else str(exc)


def base_params(cfg: dict[str, Any], log: _Log) -> dict[str, Any]:
    tmp = cfg["tmp"]
    params: dict[str, Any] = {
        "quiet": True,
        "noprogress": True,
        "logger": log,
        "color": "no_color",
        "paths": {"home": tmp, "temp": tmp},
        "outtmpl": {"default": "%(autonumber)03d-%(id).60B.%(ext)s"},
        "restrictfilenames": True,
        "overwrites": True,
        "cachedir": False,
        "proxy": cfg["proxy"],  # the egress proxy: every request, the probe's, segments' and redirects' too
        "ffmpeg_location": cfg["ffmpeg_location"],
        "socket_timeout": cfg["socket_timeout"],
        "retries": 1,
        "fragment_retries": 3,
        "extractor_retries": 0,
        "max_filesize": cfg["max_bytes"],
        "format": VIDEO_FORMAT,
        "merge_output_format": "mp4",
        # yt-dlp's own downloaders for HLS and DASH (ffmpeg only ever converts local files)
        "external_downloader": {"default": "native"},
        "hls_prefer_native": True,
    }
    if cfg.get("js_runtimes"):
        params["js_runtimes"] = cfg["js_runtimes"]  # yt-dlp-ejs runs in it (YouTube's challenges)
    if cfg.get("cookiefile"):
        params["cookiefile"] = cfg["cookiefile"]
    if cfg.get("ca_file"):
        # the system store, where SSL_CERT_FILE (set by ``trust_upstream_ca``) adds the proxy's CA
        params["compat_opts"] = {"no-certifi"}
    if cfg.get("max_items"):
        params["playlistend"] = cfg["max_items"]  # a playlist pasted as a one-off: its first N items
    return params


def trust_upstream_ca(cfg: dict[str, Any]) -> None:
    """An upstream proxy that inspects TLS (MF_UPSTREAM_PROXY_CA) signs every site with its own CA:
    OpenSSL's default store reads it from SSL_CERT_FILE, beside the system's certificate directory."""
    if cfg.get("ca_file"):
        # written, not read: OpenSSL reads SSL_CERT_FILE; curl-cffi (impersonated requests) reads
        # REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE: the host's value of either would win over ours
        ca = cfg["ca_file"]
        os.environ.update(SSL_CERT_FILE=ca, REQUESTS_CA_BUNDLE=ca, CURL_CA_BUNDLE=ca)


def mode_params(mode: str, preset: str = COMPATIBLE) -> dict[str, Any]:
    if mode == "video":
        return {"format": video_format(max_height(preset))}
    if mode == "audio":
        extract = {"key": "FFmpegExtractAudio", "preferredcodec": "mp3", "preferredquality": "192"}
        return {"format": f"bestaudio{NATIVE}/best{NATIVE}", "postprocessors": [extract], "merge_output_format": None}
    if mode == "image":
        return {"format": f"best{NATIVE}", "merge_output_format": None}
    return {}


def _refuse_ffmpeg_download(self: FFmpegFD, _filename: str, _info: dict[str, Any]) -> bool:
    self.report_error("This stream can only be downloaded by ffmpeg, which this server does not let download.")
    return False


def keep_ffmpeg_local() -> None:
    """ffmpeg never downloads here: yt-dlp would put the job's cookies and headers on its command
    line (docs/ARCHITECTURE.md §6). yt-dlp still hands it a stream in cases no option turns off (a live HLS,
    HLS features its own downloader lacks); such a download fails instead. ffmpeg keeps its other
    job, converting local files."""
    FFmpegFD.real_download = _refuse_ffmpeg_download


class LiveHlsAsRecorded(PostProcessor):  # type: ignore[misc]
    """yt-dlp gives every live HLS stream to ffmpeg, whatever the options. Marked not live, its own
    HLS downloader takes it and records the segments the playlist lists at that moment."""

    def run(self, info: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        protocols = [str(f.get("protocol")) for f in info.get("requested_formats") or [info]]
        if info.get("is_live") and any(protocol.startswith("m3u8") for protocol in protocols):
            info["is_live"] = False
        return [], info


def entries_of(info: dict[str, Any]) -> list[dict[str, Any]]:
    if info.get("_type") == "playlist" or "entries" in info:
        return [entry for entry in info.get("entries") or [] if entry]
    return [info]


def describe(info: dict[str, Any]) -> dict[str, Any]:
    return {**{key: info.get(key) for key in META_KEYS}, "ext": info.get("ext"), "kind": item_kind(info)}


def prepare() -> None:
    """In the fork server, once: yt-dlp's start-up for all children (``ytdlp_warm``), rehearsed
    with the options jobs use (the same ffmpeg, whose version yt-dlp then knows)."""
    keep_ffmpeg_local()
    rehearsal = {"tmp": "", "proxy": "", **ytdlp_equipment(), "socket_timeout": 10, "max_bytes": None}
    ytdlp_warm.prepare(base_params(rehearsal, _Log()))


def main() -> None:
    cfg = child.start()
    trust_upstream_ca(cfg)
    preset = cfg.get("preset") or COMPATIBLE
    log = _Log()
    throttle = child.Throttle()
    try:
        with ytdlp_warm.youtube_dl(base_params(cfg, log)) as ydl:
            info = ydl.extract_info(cfg["url"], download=False)
    except Exception as exc:
        child.fail("probe", log.failure(exc))
    entries = entries_of(info)
    child.emit(Event.PROBE, items=[describe(entry) for entry in entries], engine_version=YTDLP_VERSION)
    command = child.read_command()
    if command.get("action") != Action.DOWNLOAD:
        return
    mode, skip = command["mode"], set(command.get("skip") or ())
    published = 0

    def converting(path: Path) -> Callable[[int], None]:
        """Conversion progress as the share of the downloaded file done (the dashboard's bar)."""
        size = path.stat().st_size

        def report(percent: int) -> None:
            if throttle.ready():
                child.emit(Event.PROGRESS, stage=Stage.CONVERTING, bytes=size * percent // 100, total=size)

        report(0)
        return report

    class Publish(PostProcessor):  # type: ignore[misc]
        """After yt-dlp's own post-processing: make video playable, then hand the file over."""

        def run(self, item: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
            nonlocal published
            path, steps = Path(item["filepath"]), {}
            if mode == "video" and item_kind(item) == "video":
                path, steps = make_playable(path, max_height(preset), on_percent=converting(path))
            child.emit(Event.FILE, path=str(path), meta=describe(item), conversion=steps)
            published += 1
            return [], item

    def on_progress(status: dict[str, Any]) -> None:
        if status.get("status") == "downloading" and throttle.ready():
            child.emit(
                Event.PROGRESS,
                stage=Stage.DOWNLOADING,
                bytes=status.get("downloaded_bytes"),
                total=status.get("total_bytes") or status.get("total_bytes_estimate"),
                speed=status.get("speed"),
                eta=status.get("eta"),
            )

    def not_archived(item: dict[str, Any], *, incomplete: bool) -> str | None:
        return "already archived" if item.get("id") in skip else None

    params = {
        **base_params(cfg, log),
        **mode_params(mode, preset),
        "match_filter": not_archived,
    }
    params["progress_hooks"] = [on_progress]
    try:
        with ytdlp_warm.youtube_dl(params) as ydl:
            ydl.add_post_processor(LiveHlsAsRecorded(), when="before_dl")
            ydl.add_post_processor(Publish(), when="after_move")
            ydl.process_ie_result(info, download=True)
    except Exception as exc:
        child.fail("download", log.failure(exc))
    if not published:
        child.fail("download", log.text() or "yt-dlp produced no file")


if __name__ == "__main__":
    main()
