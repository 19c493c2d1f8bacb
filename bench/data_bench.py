"""What the data commands cost on a seeded library: backup, restore, export, import-folder.

Run: ``.venv/bin/python -m bench.data_bench [--count 20000] [--files 100]``. A fresh data dir with
the embedded PostgreSQL is seeded by ``bench.seed_media`` (``--count`` media with sources, tags
and folders); each command then runs as a user runs it (``python -m mediafetcher_app.cli ...``,
process start included). ``restore`` goes into a second fresh data dir, so its time includes
starting that dir's embedded PostgreSQL. ``import-folder`` imports ``--files`` distinct PNGs.
Nothing here asserts: the numbers go in the issue's notes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from mediafetcher_app.core import embedded

ROOT = Path(__file__).resolve().parent.parent


def timed(data_dir: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "MF_MEDIA_ROOT")}
    env["MF_DATA_DIR"] = str(data_dir)
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def make_pictures(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for index in range(count):
        Image.new("RGB", (320, 240), (index % 256, (index // 256) % 256, 128)).save(folder / f"{index}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=100)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mf-data-bench-"))
    source, target = work / "source", work / "target"
    try:
        timed(source, "-m", "bench.seed_media", "--count", str(options.count))
        rows = [
            ("backup", timed(source, "-m", "mediafetcher_app.cli", "backup", str(work / "backup"))),
            ("export", timed(source, "-m", "mediafetcher_app.cli", "export", "-o", str(work / "library.json"))),
            ("restore (new data dir)", timed(target, "-m", "mediafetcher_app.cli", "restore", str(work / "backup"))),
        ]
        make_pictures(work / "pictures", options.files)
        imported = timed(source, "-m", "mediafetcher_app.cli", "import-folder", str(work / "pictures"))
        dump_mb = (work / "backup" / "database.dump").stat().st_size / 1e6
        export_mb = (work / "library.json").stat().st_size / 1e6
        print(f"library: {options.count} media; dump {dump_mb:.1f} MB, export {export_mb:.1f} MB")
        for name, seconds in rows:
            print(f"{name:<24} {seconds:6.2f} s")
        print(
            f"{'import-folder':<24} {imported:6.2f} s for {options.files} PNGs ({options.files / imported:.1f} files/s)"
        )
    finally:
        for data_dir in (source, target):
            embedded.stop_redis(data_dir)
            embedded.stop_postgres(data_dir)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
