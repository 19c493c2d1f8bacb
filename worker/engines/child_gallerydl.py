"""gallery-dl in a job's engine child (its config is process-global): original bytes, never
re-encoded.

Forked by ``child_forkserver`` (``prepare`` once in the server, ``main`` per job); the config
arrives as one JSON line on stdin. Events out (``protocol.Event``): progress, file, error. An
empty result is an error (gallery-dl exits 0).
"""

from __future__ import annotations

import copy
import json
import logging
import os
from datetime import datetime
from itertools import count
from typing import Any

from gallery_dl import config, extractor, job
from gallery_dl.extractor.generic import GenericExtractor

from mediafetcher_app.core.settings import worker_knobs
from worker.engines import child_io as child
from worker.engines.protocol import Event, Stage

MF_GENERIC_PREFIX = "mfgeneric:"
_SKIP_KEYS = {"_http_headers", "_fallback", "_http_validate", "_http_signature", "_http_expected_status"}
PERSON_KEYS = {"author", "user", "owner", "pinner"}  # dicts worth keeping: who posted the item


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines = [*self.lines[-30:], f"{record.name}: {record.getMessage()}"]


def operator_config() -> dict[str, Any]:
    """Extra gallery-dl options from MF_GALLERYDL_CONFIG (JSON), e.g. other instances of
    Danbooru-based sites. Read before the extractors load: instances are fixed at import."""
    return json.loads(worker_knobs().gallerydl_config or "{}")


def configure(cfg: dict[str, Any], extra: dict[str, Any]) -> None:
    """Everything set explicitly; ``config.load()`` is never called (it reads the user's home)."""
    config.clear()
    for key, value in extra.items():
        config.set((), key, copy.deepcopy(value))
    config.set((), "base-directory", cfg["tmp"])
    # extractors cache guest tokens and sessions; in memory they stay this job's (one process each),
    # never in a file under the worker's home that every user's job would share
    config.set(("cache",), "file", ":memory:")
    config.set(("extractor",), "directory", [])
    config.set(("extractor",), "filename", "{mf_index:>03}-{filename[:60]}.{extension}")
    config.set(("extractor",), "cookies-update", False)
    config.set(("extractor",), "proxy", cfg["proxy"])  # the egress proxy, for every request
    config.set(("extractor",), "proxy-env", False)
    config.set(("extractor",), "timeout", cfg["socket_timeout"])
    config.set(("extractor",), "retries", 0)
    config.set(("extractor",), "skip", False)
    config.set(("downloader",), "retries", 0)
    config.set(("downloader",), "mtime", False)
    config.set(("downloader",), "progress", 0.0)
    config.set(("downloader",), "filesize-max", str(cfg["max_bytes"]))
    config.set(("output",), "mode", "null")
    if cfg.get("cookiefile"):
        config.set(("extractor",), "cookies", cfg["cookiefile"])
    if cfg.get("ca_file"):  # an upstream proxy that inspects TLS signs every site with this CA
        config.set(("extractor",), "verify", cfg["ca_file"])
    if cfg.get("max_items"):
        config.set(("extractor",), "image-range", f"1-{cfg['max_items']}")  # a board taken as a one-off


def register_port_aware_generic() -> None:
    """gallery-dl's ``generic:`` drops the URL's port (docs/ARCHITECTURE.md §8); this variant keeps it."""

    class PortAwareGenericExtractor(GenericExtractor):
        pattern = (
            r"(?i)(?P<generic>mfgeneric:)(?P<scheme>https?://)?(?P<domain>[-\w\.]+(?::\d+)?)"
            r"(?P<path>/[^?#]*)?(?:\?(?P<query>[^#]*))?(?:\#(?P<fragment>.*))?"
        )

        def __init__(self, match: Any) -> None:
            super().__init__(match)
            self.url = match[0][len(MF_GENERIC_PREFIX) :]

    extractor.add(PortAwareGenericExtractor)


def plain_metadata(kwdict: dict[str, Any]) -> dict[str, Any]:
    """The JSON-safe part of an item's metadata (dates as ISO text)."""
    plain: dict[str, Any] = {}
    for key, value in kwdict.items():
        if key in _SKIP_KEYS:
            continue
        if isinstance(value, datetime):
            plain[key] = value.isoformat()
        elif key in PERSON_KEYS and isinstance(value, dict):  # who posted it: its plain fields
            plain[key] = {k: v for k, v in value.items() if isinstance(v, str | int | float | bool)}
        elif isinstance(value, str | int | float | bool | list | tuple):
            plain[key] = list(value) if isinstance(value, tuple) else value
    return plain


_extra: dict[str, Any] = {}


def prepare() -> None:
    """In the fork server, once: the operator's options and the extractor list, for all children."""
    _extra.update(operator_config())
    configure({"tmp": ".", "socket_timeout": 30, "max_bytes": 0, "proxy": None}, _extra)  # no request before a job
    extractor.find("https://warm.invalid/up.jpg")


def main() -> None:
    cfg = child.start()
    configure(cfg, _extra)
    register_port_aware_generic()
    errors = _ErrorLog()
    logging.getLogger().addHandler(errors)
    logging.getLogger().setLevel(logging.INFO)
    numbers = count(1)
    published: list[str] = []
    throttle = child.Throttle()

    class Progress:
        def start(self, path: str) -> None: ...
        def skip(self, path: str) -> None: ...
        def success(self, path: str) -> None: ...

        def progress(self, total: int | None, done: int, speed: float) -> None:
            if throttle.ready():
                child.emit(Event.PROGRESS, stage=Stage.DOWNLOADING, bytes=done, total=total, speed=speed)

    class PublishingJob(job.DownloadJob):  # type: ignore[misc]
        def __init__(self, url: Any, parent: Any = None) -> None:
            super().__init__(url, parent)
            self.out = Progress()

        def handle_url(self, url: str, kwdict: dict[str, Any]) -> None:
            kwdict["mf_index"] = next(numbers)
            super().handle_url(url, kwdict)
            path = self.pathfmt.path if self.pathfmt else None
            if path and os.path.isfile(path) and path not in published:
                published.append(path)
                meta = {**plain_metadata(kwdict), "media_url": url}
                child.emit(Event.FILE, path=path, meta=meta, conversion={})

    url = cfg["url"]
    target = url if extractor.find(url) is not None else MF_GENERIC_PREFIX + url
    try:
        status = PublishingJob(target).run()
    except Exception as exc:
        child.fail("download", exc)
    if not published:
        why = "\n".join(errors.lines) or f"No media found (gallery-dl status {status})"
        child.fail("download", why)


if __name__ == "__main__":
    main()
