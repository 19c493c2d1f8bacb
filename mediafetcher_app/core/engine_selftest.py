"""The check a new engine version passes before it is switched on, run in a process whose path
starts with the staged overlay: each package imports from there at the expected version, yt-dlp
downloads a video from a page and gallery-dl an image, both from a loopback server this process
starts on files it makes (nothing leaves the machine).

``python -m mediafetcher_app.core.engine_selftest '{"yt-dlp": "2099.1.1"}'``: exit 0 when sound,
else exit 1 with the reason on the last line of stderr.
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

from .ffmpeg import run

MODULES = {"yt-dlp": "yt_dlp", "yt-dlp-ejs": "yt_dlp_ejs", "gallery-dl": "gallery_dl"}


class SelfTestFailed(Exception):
    """The staged engines are not fit to use; the message says why."""


def check_versions(expected: dict[str, str], overlay: Path) -> None:
    """Each package resolves to the staged overlay at the staged version."""
    for package, version in expected.items():
        module = __import__(MODULES[package])
        found = metadata.version(package)
        origin = Path(module.__file__ or "").resolve()
        if found != version or overlay.resolve() not in origin.parents:
            raise SelfTestFailed(f"{package} loads as {found} from {origin.parent}, not {version} from the update")


def make_fixtures(folder: Path) -> None:
    """A one-second H.264/AAC clip on an HTML page, and a PNG."""
    clip = folder / "clip.mp4"
    made = run(
        ["-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=10", "-f", "lavfi", "-i", "sine=duration=1",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-y", str(clip)],
        timeout_s=60,
    )  # fmt: skip
    if made.returncode != 0:
        raise SelfTestFailed(f"ffmpeg could not make the test clip: {made.stderr.strip()[-200:]}")
    (folder / "page.html").write_text(
        '<html><head><title>Self-test</title></head><body><video src="clip.mp4"></video></body></html>'
    )
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 30, 30)).save(folder / "pixel.png")


def try_ytdlp(base: str, out: Path) -> None:
    from yt_dlp import YoutubeDL

    from .engine_setup import ytdlp_equipment

    params = {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "proxy": "",
        "paths": {"home": str(out)},
        "cachedir": False,
    }
    with YoutubeDL({**params, **ytdlp_equipment()}) as ydl:
        info = ydl.extract_info(f"{base}/page.html", download=True)
    files = [path for path in out.iterdir() if path.suffix == ".mp4"]
    if not info or not files or files[0].stat().st_size == 0:
        raise SelfTestFailed("yt-dlp did not download the test video from the test page")


def try_gallerydl(base: str, out: Path, original: bytes) -> None:
    from gallery_dl import config, job

    config.clear()
    config.set((), "base-directory", str(out))
    config.set(("extractor",), "directory", [])
    config.set(("extractor",), "proxy-env", False)
    config.set(("output",), "mode", "null")
    job.DownloadJob(f"{base}/pixel.png").run()
    if [path.read_bytes() for path in out.glob("*.png")] != [original]:
        raise SelfTestFailed("gallery-dl did not download the test image byte for byte")


def self_test(expected: dict[str, str], overlay: Path) -> None:
    check_versions(expected, overlay)
    with tempfile.TemporaryDirectory(prefix="mf-engine-selftest-") as scratch:
        root = Path(scratch)
        site, video_out, image_out = root / "site", root / "ytdlp", root / "gallerydl"
        for folder in (site, video_out, image_out):
            folder.mkdir()
        make_fixtures(site)
        quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *args: None})
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            try_ytdlp(base, video_out)
            try_gallerydl(base, image_out, (site / "pixel.png").read_bytes())
        finally:
            server.shutdown()


def main() -> int:
    expected = json.loads(sys.argv[1])
    overlay = Path(sys.argv[2])
    try:
        self_test(expected, overlay)
    except Exception as exc:  # a broken engine may fail in any way: each is a failed self-test
        print(f"{type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
