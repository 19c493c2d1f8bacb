"""What keeping ``media/library/`` costs: one full pass on a seeded library (cold: every link and
NFO made), a pass with nothing to change, and a title edit: how long its commit takes (the pass
runs on a background thread) and how long until the view followed it. Uses the app's settings;
point MF_DATA_DIR at a scratch directory.

    MF_DATA_DIR=/tmp/mf-bench-library .venv/bin/python -m bench.library_view_bench --count 10000
"""

from __future__ import annotations

import argparse
import time

from sqlmodel import select

from bench.seed_media import seed
from mediafetcher_app.core import library_view, storage
from mediafetcher_app.core.db import get_engine, session_scope
from mediafetcher_app.core.library_view import watch
from mediafetcher_app.core.models import Media


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    count = parser.parse_args().count
    seed(count)
    print(f"stored files for {_stored_files()} media")
    engine = get_engine()
    _timed("full pass, empty view", lambda: library_view.sync(engine))
    _timed("pass, nothing to change", lambda: library_view.sync(engine))

    def edit_title() -> None:
        with session_scope() as db:
            media = db.exec(select(Media).limit(1)).one()
            media.title = f"{media.title} (edited)"

    _timed("title edit, until committed", edit_title)
    _timed("... until the view followed it", lambda: watch.settle())


if __name__ == "__main__":
    main()
