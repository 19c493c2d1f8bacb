"""Where decrypted cookies live while an engine runs (docs/ARCHITECTURE.md §6): ``MF_DATA_DIR/private/cookies``.

Not in ``MEDIA_ROOT/tmp`` (the NAS share, which other machines and users may read): a private
directory under the data dir, 0700 at every level whatever the umask, with one directory per
worker and one per job or check inside it (``<worker>/<job>/cookies.txt``, the file 0600, written
by the vault). A job's directory is removed when the job ends; what a stopped worker left behind,
and what a live worker's ended jobs left, is swept at every worker start and by the reconcile cron.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from mediafetcher_app.core import jobs
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.settings import get_settings

from . import heartbeat

log = logging.getLogger(__name__)
NO_WORKER = "no-worker"  # the directory of runs outside an Arq worker (tests, the CLI)


def root() -> Path:
    return get_settings().data_dir / "private" / "cookies"


def _make_private(path: Path) -> None:
    path.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)  # mkdir's mode is cut by the umask; an existing directory keeps its own


def fresh(worker_id: str, name: str) -> Path:
    """An empty private directory for one job's (or cookie check's) cookie file."""
    directory = root() / worker_id / name
    shutil.rmtree(directory, ignore_errors=True)
    for path in (root().parent, root(), directory.parent, directory):
        _make_private(path)
    return directory


def remove(worker_id: str, name: str) -> None:
    shutil.rmtree(root() / worker_id / name, ignore_errors=True)


def sweep() -> int:
    """Remove every cookie directory no live worker is using: those of workers that stopped
    beating, and those of jobs a live worker no longer runs. Returns how many went."""
    with session_scope() as db:
        live = heartbeat.live_worker_ids(db)
        in_use = {(job.worker_id, str(job.id)) for job in jobs.unfinished(db)}
    if not root().is_dir():
        return 0
    removed = []
    for worker_dir in root().iterdir():
        if worker_dir.name not in live:
            removed.append(worker_dir)
            continue
        if worker_dir.is_dir():
            removed += [d for d in worker_dir.iterdir() if d.name.isdigit() and (worker_dir.name, d.name) not in in_use]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    if removed:
        log.info("removed %d cookie dir(s) no live worker uses", len(removed))
    return len(removed)
