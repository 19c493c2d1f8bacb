"""What the egress proxy costs a download: a 50 MB loopback file, direct and through the proxy.

Run: ``.venv/bin/python -m bench.egress_bench [--megabytes 50] [--runs 5]``. The tests' fixture
server serves random bytes on 127.0.0.1; the proxy runs as in the worker (its own thread and
loop) with the block on and the server allowed by MF_EGRESS_ALLOW, so every request takes the
full path (resolve, check, connect). httpx (the direct fetch's client) and curl (as yt-dlp's
requests would, a C client that is not itself the bottleneck) stream the file to nowhere; best
of N runs each. Nothing here asserts: the numbers go in the issue's notes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def httpx_get(url: str, proxy: str | None) -> int:
    size = 0
    with httpx.Client(proxy=proxy, trust_env=False) as client, client.stream("GET", url) as response:
        for chunk in response.iter_bytes(256 * 1024):
            size += len(chunk)
    return size


def curl_get(url: str, proxy: str | None) -> int:
    command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download}", "--noproxy", "*" if proxy is None else ""]
    command += ["-x", proxy] if proxy else []
    return int(subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout)


def best(get: Callable[[str, str | None], int], url: str, proxy: str | None, runs: int, size: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        assert get(url, proxy) == size
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from tests.fixtures.server import FixtureServer
    from worker.egress import proxy

    root = Path(tempfile.mkdtemp(prefix="mf-egress-bench-"))
    size = args.megabytes * 1024 * 1024
    (root / "media").mkdir()
    (root / "media" / "big.bin").write_bytes(os.urandom(size))
    server = FixtureServer(root).start()
    port = server.server_address[1]
    os.environ.update(
        MF_BLOCK_PRIVATE_URLS="true", MF_EGRESS_HOSTS="bench.example=127.0.0.1", MF_EGRESS_ALLOW=f"127.0.0.1:{port}"
    )
    direct_url, proxied_url = server.url("/media/big.bin"), f"http://bench.example:{port}/media/big.bin"
    try:
        print(f"{args.megabytes} MB over loopback, best of {args.runs}:")
        clients = [("httpx", httpx_get)] + ([("curl", curl_get)] if shutil.which("curl") else [])
        for name, get in clients:
            plain = best(get, direct_url, None, args.runs, size)
            proxied = best(get, proxied_url, proxy.url(), args.runs, size)
            print(
                f"  {name:5}  direct {plain:.3f} s ({args.megabytes / plain:.0f} MB/s)"
                f"   through the egress proxy {proxied:.3f} s ({args.megabytes / proxied:.0f} MB/s)"
                f"   +{(proxied - plain) * 1000:.0f} ms"
            )
    finally:
        proxy.stop()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
