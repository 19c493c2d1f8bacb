"""How long the engine facts and an engine update take (what Settings > Engines waits for).

Run: ``.venv/bin/python -m bench.engines_bench``. Works in a temporary MF_DATA_DIR with a wheel
folder it builds (a "yt-dlp 2099.1.1" wrapping the pinned one); needs no database (no events are
recorded: the update's staging, self-test and switch are timed one by one). Prints numbers only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(label: str, action: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"{label:<40} {time.perf_counter() - start:6.2f} s")
    return result


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="mf-engines-bench-"))
    wheels = scratch / "wheels"
    os.environ.update(MF_DATA_DIR=str(scratch / "data"), MF_ENGINE_INDEX=str(wheels))
    from tests.fixtures.wheels import wrapped_ytdlp

    wrapped_ytdlp(wheels, "2099.1.1")
    try:
        run()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run() -> None:
    from mediafetcher_app.core import doctor, engine_updates
    from mediafetcher_app.core.engine_report import collect

    timed("engine report (yt-dlp -v header, subprocess)", collect)
    timed("ffmpeg facts (version, encoders)", doctor.ffmpeg_check)
    timed("engine facts (what Settings shows)", doctor.engine_facts)
    found = timed("update lookup (pip dry-run, 1 package)", lambda: engine_updates.check(["yt-dlp"]))
    changes = {item.package: item.available for item in found if item.newer}
    staging = timed("stage the update (pip --target)", lambda: engine_updates._stage(changes))
    failure = timed("self-test (loopback video + image)", lambda: engine_updates.self_test(staging, changes))
    print(f"self-test result: {failure or 'passed'}")


if __name__ == "__main__":
    main()
