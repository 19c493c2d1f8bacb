"""What keeping ``media/library/`` costs: one full pass on a seeded library (cold: every link and
NFO made), a full pass with nothing to change, then following single changes as the app and the
worker do (an incremental pass on the background thread): a title edit and a new media from the
worker's indexing, each timed until its commit returned and until the view followed it. Uses the
app's settings; point MF_DATA_DIR at a scratch directory.

    MF_DATA_DIR=/tmp/mf-bench-library .venv/bin/python -m bench.library_view_bench --count 100000
"""

from __future__ import annotations

import argparse
import time

from PIL import Image
from sqlmodel import select

from bench.seed_media import seed
from mediafetcher_app.core import library_view, storage
from mediafetcher_app.core.db import get_engine, session_scope
from mediafetcher_app.core.library_view import watch
from mediafetcher_app.core.models import Media
from mediafetcher_app.core.settings import get_settings
from worker.finalise import index_file


def _stored_files() -> int:
    """A small file behind every seeded row (the seed writes rows only)."""
    with session_scope() as db:
        paths = db.exec(select(Media.path)).all()
    for relative in paths:
        path = storage.absolute(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return len(paths)


def _timed(label: str, work) -> None:
    start = time.perf_counter()
    result = work()
    print(f"{label:<34} {time.perf_counter() - start:7.2f} s  {result or ''}")


def _edit_title() -> None:
    with session_scope() as db:
        media = db.exec(select(Media).limit(1)).one()
        media.title = f"{media.title} (edited)"


def _new_media() -> str:
    """A picture indexed as the worker's recovery does (a file in final/ without a row)."""
    picture = get_settings().final_dir / "bench-incoming"
    Image.new("RGB", (32, 24), (time.time_ns() % 256, 90, 160)).save(picture, format="JPEG")
    sha = storage.sha256_file(picture)
    return f"media {index_file(picture.rename(picture.with_name(sha)), sha)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    count = parser.parse_args().count
    seed(count)
    print(f"stored files for {_stored_files()} media")
    engine = get_engine()
    _timed("full pass, empty view", lambda: library_view.sync(engine))
    _timed("full pass, nothing to change", lambda: library_view.sync(engine))
    for label, change in (("title edit", _edit_title), ("new media (worker)", _new_media)):
        _timed(f"{label}, until committed", change)
        _timed("... until the view followed it", lambda: watch.settle())


if __name__ == "__main__":
    main()
