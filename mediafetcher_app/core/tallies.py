"""Recounting the tallies (migration 0009) from scratch, for bulk loads that switch their triggers
off: a trigger per row-statement of a long load would update one tally row thousands of times in
one transaction, and each update walks every version that transaction left behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

# tally -> (counted table, its key columns from a counted row, its measures); as in migration 0009
RECOUNTS = {
    "job_tally": ("download_job", ("coalesce(requested_by, 0)", "status", "0"), "count(*)"),
    "media_tally": ("media", ("kind",), "count(*), sum(size_bytes)"),
    "platform_tally": ("source", ("platform",), "count(*)"),
    "folder_tally": ("media_folder", ("folder_id",), "count(*)"),
    "tag_tally": ("media_tag", ("tag_id",), "count(*)"),
}


def recount(conn: Connection) -> None:
    """Every tally equal to a full count again."""
    for tally, (table, keys, measures) in RECOUNTS.items():
        conn.execute(text(f"DELETE FROM {tally}"))
        by = ", ".join(str(position) for position in range(1, len(keys) + 1))
        conn.execute(text(f"INSERT INTO {tally} SELECT {', '.join(keys)}, {measures} FROM {table} GROUP BY {by}"))


@contextmanager
def paused(conn: Connection) -> Iterator[None]:
    """The tally triggers off for a bulk load in ``conn``'s transaction, then one recount."""
    triggers = [(table, f"mf_{tally}_{op}") for tally, (table, _k, _m) in RECOUNTS.items() for op in _OPS]
    for table, trigger in triggers:
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    yield
    for table, trigger in triggers:
        conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
    recount(conn)


_OPS = ("insert", "update", "delete")
