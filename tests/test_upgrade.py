"""Upgrades: a data dir made by the previous release (its own code, migrations and embedded
PostgreSQL) is migrated by the current code, as `make run` does at start, with nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from mediafetcher_app.core import embedded
from mediafetcher_app.core.migrations import alembic_config

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS_RELEASE = "3f43d88"  # main before issue 11
COOKIES = "# Netscape HTTP Cookie File\n.example.com\tTRUE\t/\tTRUE\t2000000000\tsid\told-secret\n"

# Runs on the previous release's code, so it uses that release's module names (core.organize).
MAKE_LIBRARY = textwrap.dedent(
    f"""
    from mediafetcher_app.core import jobs, organize
    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.vault.parse import parse_netscape
    from mediafetcher_app.core.vault.store import save_cookies
    from tests.factories import make_media, make_principal

    alice = make_principal("alice")
    media_id = make_media("Old clip", uploader="old-uploader")
    with session_scope() as db:
        folder = organize.create_folder(db, alice, "Archive")
        organize.add_to_folder(db, folder.id, [media_id])
        organize.tag_media(db, alice, "vintage", [media_id])
        save_cookies(db, parse_netscape({COOKIES!r}), owner_id=alice.user_id)
        jobs.create_job(db, alice, "https://example.com/watch/1")
    """
)

READ_LIBRARY = textwrap.dedent(
    """
    import json
    from sqlalchemy import text
    from sqlmodel import select
    from mediafetcher_app.core import auth, storage
    from mediafetcher_app.core.db import session_scope
    from mediafetcher_app.core.models import CookieJar, DownloadJob, Folder, Media, MediaFolder, MediaTag, Source, Tag
    from mediafetcher_app.core.vault.store import load_cookies
    from tests.factories import PASSWORD

    with session_scope() as db:
        user = auth.authenticate(db, "alice", PASSWORD)
        [media] = db.exec(select(Media)).all()
        [source] = db.exec(select(Source)).all()
        [folder] = db.exec(select(Folder)).all()
        [tag] = db.exec(select(Tag)).all()
        [job] = db.exec(select(DownloadJob)).all()
        print(json.dumps({
            "revision": db.exec(text("SELECT version_num FROM alembic_version")).scalar(),
            "user": user.username,
            "media": [media.title, storage.absolute(media.path).exists(), media.sha256],
            "source": source.uploader,
            "folder": [folder.name, db.get(MediaFolder, (media.id, folder.id)) is not None],
            "tag": [tag.name, db.get(MediaTag, (media.id, tag.id)) is not None],
            "cookie": [c.value for c in load_cookies(db, "example.com", owner_id=user.id)],
            "job": [job.url, job.status.value],
        }))
    """
)


def run(code_dir: Path, data_dir: Path, *args: str) -> str:
    """A command of the project in ``code_dir`` on an embedded-server data dir, as `make run` has it."""
    keep_out = ("DATABASE_URL", "REDIS_URL", "MF_SECRET_KEY", "MF_MEDIA_ROOT")
    env = {k: v for k, v in os.environ.items() if k not in keep_out}
    env.update(MF_DATA_DIR=str(data_dir), PYTHONPATH=str(code_dir))
    done = subprocess.run([sys.executable, *args], cwd=code_dir, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def previous_release() -> Iterator[Path]:
    """The previous release's tree, from git (CI runs in a full clone)."""
    where = Path(tempfile.mkdtemp(prefix="mf-previous-"))
    archive = where / "release.tar"
    made = subprocess.run(
        ["git", "archive", "--format=tar", f"--output={archive}", PREVIOUS_RELEASE], cwd=ROOT, capture_output=True
    )
    assert made.returncode == 0, f"git archive {PREVIOUS_RELEASE} failed: {made.stderr.decode()}"
    with tarfile.open(archive) as tar:
        tar.extractall(where / "code", filter="data")
    yield where / "code"
    shutil.rmtree(where, ignore_errors=True)


def test_a_data_dir_of_the_previous_release_is_migrated_at_start_with_nothing_lost(previous_release: Path):
    data = Path(tempfile.mkdtemp(prefix="mf-upgrade-"))
    try:
        run(previous_release, data, "-m", "mediafetcher_app.cli", "migrate")
        run(previous_release, data, "-c", MAKE_LIBRARY)
        before = json.loads(run(previous_release, data, "-c", READ_LIBRARY))
        embedded.stop_postgres(data)  # the old release stops; the new one starts on its data dir

        run(ROOT, data, "-m", "mediafetcher_app.cli", "migrate")  # launcher.run_stack's prepare()
        after = json.loads(run(ROOT, data, "-c", READ_LIBRARY))
    finally:
        embedded.stop_postgres(data)
        shutil.rmtree(data, ignore_errors=True)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert after.pop("revision") == head
    before.pop("revision")
    assert after == before
    assert after["media"][:2] == ["Old clip", True]
    assert after["cookie"] == ["old-secret"], "the old key file still opens the old vault"
    assert after["folder"] == ["Archive", True] and after["tag"] == ["vintage", True]
