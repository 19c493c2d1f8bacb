"""A direct link to an image file, fetched in the worker itself (no engine process).

For a URL that *is* the file there is nothing to extract: starting an engine process would cost
more than the download (hundreds of image links a minute). A plain streamed GET keeps the
original bytes; gallery-dl and yt-dlp remain the fallbacks when it fails.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Awaitable, Callable
from functools import lru_cache
from http.cookiejar import MozillaCookieJar
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from mediafetcher_app.core.settings import egress_settings
from worker import egress
from worker.errors import NO_MEDIA, PipelineError, classify, too_large

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
CHUNK = 256 * 1024


@lru_cache(maxsize=2)
def _tls(extra_ca: str | None) -> ssl.SSLContext:
    """One TLS context for every fetch: httpx would load the CA bundle for each client (twice with
    a proxy, one per transport), tens of milliseconds per image. ``extra_ca`` is the upstream
    proxy's CA (MF_UPSTREAM_PROXY_CA), trusted beside the usual roots."""
    context = httpx.create_ssl_context()
    if extra_ca:
        context.load_verify_locations(cafile=extra_ca)
    return context


def _cookies(cookiefile: Path | None) -> MozillaCookieJar | None:
    if cookiefile is None:
        return None
    jar = MozillaCookieJar(str(cookiefile))
    jar.load(ignore_discard=True, ignore_expires=True)
    return jar


def _name(url: str) -> str:
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "image"
    return re.sub(r"[^\w.-]", "_", last)[-100:]


async def fetch(
    url: str,
    directory: Path,
    *,
    cookiefile: Path | None,
    timeout_s: float,
    max_bytes: int,
    on_progress: Callable[[int, int | None], Awaitable[None]],
) -> Path:
    """Stream ``url`` into ``directory``; raises PipelineError with the user's sentence."""
    target = directory / _name(url)
    try:
        async with (
            httpx.AsyncClient(
                proxy=egress.proxy.url(),  # every request, each redirect too, is checked there
                trust_env=False,
                verify=_tls(egress_settings().upstream_proxy_ca),
                follow_redirects=True,
                timeout=timeout_s,
                cookies=_cookies(cookiefile),
                headers={"User-Agent": USER_AGENT},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise classify(f"HTTP Error {response.status_code}: {response.reason_phrase}", url, max_bytes)
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith("image/"):
                raise PipelineError(NO_MEDIA, f"{url} is {content_type or 'of no stated type'}, not an image", rank=0)
            total = int(response.headers.get("content-length") or 0) or None
            if total and total > max_bytes:
                raise too_large(max_bytes, f"Content-Length {total}")
            done = 0
            with target.open("wb") as handle:
                async for chunk in response.aiter_bytes(CHUNK):
                    done += len(chunk)
                    if done > max_bytes:
                        raise too_large(max_bytes, f"more than {max_bytes} bytes")
                    handle.write(chunk)
                    await on_progress(done, total)
    except httpx.TimeoutException as exc:
        raise classify(f"timed out: {exc!r}", url, max_bytes) from exc
    except httpx.HTTPError as exc:
        raise classify(f"Connection refused or reset: {exc!r}", url, max_bytes) from exc
    return target
