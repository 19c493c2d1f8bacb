"""What the view on disk holds, by media: the small index that makes following one change cheap.

A SQLite file beside the view (``media/.library-index.sqlite3``, outside ``library/`` so media
servers never see it) records each folder's directory and each ``Entry`` (one media in one
directory: its name and file endings). A pass following some media reads their old entries here and
removes exactly those files, asks here whether a name is taken in a directory, and compares folder
directories with the database to move renamed or moved folders whole. Only passes write it, under
the view's lock file, so one connection per pass is enough.

Like the view, it is derived and disposable: a full pass rewrites it from its plan, and a pass that
finds ``library/`` gone starts it empty (the view and its index go together).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from .plan import Entry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS folder (id INTEGER PRIMARY KEY, path TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entry (
    media_id INTEGER NOT NULL,
    folder_id INTEGER NOT NULL,
    wanted TEXT NOT NULL,
    name TEXT NOT NULL,
    ext TEXT NOT NULL,
    suffixes TEXT NOT NULL,
    folded TEXT NOT NULL,
    PRIMARY KEY (media_id, folder_id)
);
CREATE INDEX IF NOT EXISTS entry_name ON entry (folder_id, folded);
"""
_COLUMNS = "media_id, folder_id, wanted, name, ext, suffixes, folded"


def index_path(media_root: Path) -> Path:
    return media_root / ".library-index.sqlite3"


def _row(entry: Entry) -> tuple[object, ...]:
    return (
        entry.media_id,
        entry.folder_id,
        entry.wanted,
        entry.name,
        entry.ext,
        "\n".join(entry.suffixes),
        entry.folded,
    )


def _entry(row: tuple) -> Entry:
    media_id, folder_id, wanted, name, ext, suffixes, _folded = row
    return Entry(media_id, folder_id, wanted, name, ext, tuple(suffixes.split("\n")))


class Index:
    """One pass's view of the index (see the module docstring)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def clear(self) -> None:
        self._db.execute("DELETE FROM entry")
        self._db.execute("DELETE FROM folder")

    def replace(self, folders: dict[int, str], entries: list[Entry]) -> None:
        """Make the index say exactly this (after a full pass)."""
        self.clear()
        self.set_folders(folders)
        self._db.executemany(f"INSERT INTO entry ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", map(_row, entries))

    def folders(self) -> dict[int, str]:
        return dict(self._db.execute("SELECT id, path FROM folder"))

    def set_folders(self, folders: dict[int, str]) -> None:
        self._db.execute("DELETE FROM folder")
        self._db.executemany("INSERT INTO folder (id, path) VALUES (?, ?)", folders.items())

    def entries_of(self, media_id: int) -> list[Entry]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM entry WHERE media_id = ?", (media_id,))
        return [_entry(row) for row in rows]

    def media_in(self, folder_ids: Collection[int]) -> set[int]:
        """The media with an entry in any of these folders."""
        found: set[int] = set()
        for folder_id in folder_ids:
            found.update(
                media_id
                for (media_id,) in self._db.execute("SELECT media_id FROM entry WHERE folder_id = ?", (folder_id,))
            )
        return found

    def drop_folders(self, folder_ids: Collection[int]) -> None:
        self._db.executemany("DELETE FROM entry WHERE folder_id = ?", ((f,) for f in folder_ids))

    def taken(self, folder_id: int, folded: str) -> bool:
        """Whether a media already has this (case-folded) name in this folder."""
        query = "SELECT 1 FROM entry WHERE folder_id = ? AND folded = ? LIMIT 1"
        return self._db.execute(query, (folder_id, folded)).fetchone() is not None

    def put(self, entry: Entry) -> None:
        self._db.execute(f"INSERT OR REPLACE INTO entry ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", _row(entry))

    def drop(self, entry: Entry) -> None:
        self._db.execute("DELETE FROM entry WHERE media_id = ? AND folder_id = ?", (entry.media_id, entry.folder_id))


@contextmanager
def opened(media_root: Path) -> Iterator[Index]:
    """The index, committed when the block ends, even by an error: a pass records each change right
    after making it on disk, so what was done before a failure stays recorded."""
    connection = sqlite3.connect(index_path(media_root))
    try:
        connection.executescript(_SCHEMA)
        yield Index(connection)
    finally:
        connection.commit()
        connection.close()
