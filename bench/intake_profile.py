"""Where one submit's CPU goes: POST /api/v1/downloads in-process under cProfile (process time).

    .venv/bin/python -m bench.intake_profile [--requests 300] [--lines 40]

Embedded PostgreSQL/Redis in a temp dir; the routes driven through httpx's ASGI transport, one
request at a time. The hops to worker threads (``api.handlers.in_db``, ``asyncio.to_thread``) run
inline, so the one profiler sees the whole path; the numbers are the profiler's, inflated by it,
for comparing parts (bench/INTAKE_RESULTS.md), not for budgets.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.services import fresh_services


async def inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


async def profile(requests: int) -> cProfile.Profile:
    import httpx

    from bench.intake_bench import admin_token
    from mediafetcher_app.api import build_api, handlers

    handlers.run_in_threadpool = inline  # type: ignore[assignment]
    asyncio.to_thread = inline  # type: ignore[assignment]
    transport = httpx.ASGITransport(app=build_api())
    headers = {"Authorization": f"Bearer {admin_token()}"}
    profiler = cProfile.Profile(time.process_time)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=headers) as client:
        for n in range(-20, requests):  # the first 20 warm up, unprofiled
            if n == 0:
                profiler.enable()
            answer = await client.post("/api/v1/downloads", json={"url": f"http://127.0.0.1:9/{n}.jpg"})
            answer.raise_for_status()
    profiler.disable()
    return profiler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="mf-intake-profile-"))
    try:
        fresh_services(data_dir, MF_BLOCK_PRIVATE_URLS="false")
        profiler = asyncio.run(profile(args.requests))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats("mediafetcher_app|worker/", args.lines)
    finally:
        from mediafetcher_app.core import embedded

        embedded.stop_redis(data_dir)
        embedded.stop_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
