"""Tallies, and an index for the feed's posted-date range.

The tallies keep the dashboard's job counters, storage per kind, the platform list and the
folder and tag counts by statement-level triggers, so reading them costs a few rows at 1M media.

Each trigger sees the statement's transition tables and adds the net change per key (inserted
rows +1, deleted rows -1, an update both), skipping keys whose change is zero: a job's progress
update writes nothing here. Keys are upserted in key order, so two transactions never lock the
same tally rows in opposite orders.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Submits arrive many at once: each connection adds to its own slot of a user's count, so their
# transactions never queue on one row lock; readers sum the slots.
JOB_SLOTS = 16

# tally -> (counted table, {tally key: expression over a counted row}, {measure: expression})
TALLIES = {
    "job_tally": (
        "download_job",
        {"user_id": "coalesce(requested_by, 0)", "status": "status", "slot": f"pg_backend_pid() % {JOB_SLOTS}"},
        {"n": "1"},
    ),
    "media_tally": ("media", {"kind": "kind"}, {"n": "1", "bytes": "size_bytes"}),
    "platform_tally": ("source", {"platform": "platform"}, {"n": "1"}),
    "folder_tally": ("media_folder", {"folder_id": "folder_id"}, {"n": "1"}),
    "tag_tally": ("media_tag", {"tag_id": "tag_id"}, {"n": "1"}),
}


def _rows(source: str, keys: dict[str, str], measures: dict[str, str], sign: str) -> str:
    columns = [f"{expr} AS {key}" for key, expr in keys.items()]
    columns += [f"{sign}({expr})::bigint AS {name}" for name, expr in measures.items()]
    return f"SELECT {', '.join(columns)} FROM {source}"


def _upsert(tally: str, keys: dict[str, str], measures: dict[str, str], changes: str) -> str:
    key_list = ", ".join(keys)
    sums = ", ".join(f"sum({name})" for name in measures)
    nonzero = " OR ".join(f"sum({name}) <> 0" for name in measures)
    adds = ", ".join(f"{name} = {tally}.{name} + EXCLUDED.{name}" for name in measures)
    return (
        f"INSERT INTO {tally} ({key_list}, {', '.join(measures)}) "
        f"SELECT {key_list}, {sums} FROM ({changes}) AS change GROUP BY {key_list} "
        f"HAVING {nonzero} ORDER BY {key_list} "
        f"ON CONFLICT ({key_list}) DO UPDATE SET {adds}"
    )


def _function(tally: str, keys: dict[str, str], measures: dict[str, str]) -> str:
    added, removed = _rows("new_rows", keys, measures, "+"), _rows("old_rows", keys, measures, "-")
    return f"""
CREATE FUNCTION mf_{tally}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_upsert(tally, keys, measures, added)};
    ELSIF TG_OP = 'DELETE' THEN
        {_upsert(tally, keys, measures, removed)};
    ELSE
        {_upsert(tally, keys, measures, f"{added} UNION ALL {removed}")};
    END IF;
    RETURN NULL;
END $$;
"""


def _triggers(tally: str, table: str) -> list[str]:
    tables = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}
    tables["UPDATE"] = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
    return [
        f"CREATE TRIGGER mf_{tally}_{op_name.lower()} AFTER {op_name} ON {table} "
        f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION mf_{tally}()"
        for op_name, transition in tables.items()
    ]


def _columns(tally: str) -> list[sa.Column]:
    big = {"nullable": False, "server_default": "0"}
    keys = {
        "job_tally": [
            sa.Column("user_id", sa.BigInteger()),
            sa.Column("status", sa.String(16)),
            sa.Column("slot", sa.Integer()),
        ],
        "media_tally": [sa.Column("kind", sa.String(16))],
        "platform_tally": [sa.Column("platform", sa.String(64))],
        "folder_tally": [sa.Column("folder_id", sa.BigInteger())],
        "tag_tally": [sa.Column("tag_id", sa.BigInteger())],
    }[tally]
    for column in keys:
        column.nullable = False
    measures = [sa.Column(name, sa.BigInteger(), **big) for name in TALLIES[tally][2]]
    return [*keys, *measures, sa.PrimaryKeyConstraint(*(c.name for c in keys))]


def upgrade() -> None:
    op.create_index("ix_source_posted_at", "source", ["posted_at"])  # the feed's posted-date range
    for tally, (table, keys, measures) in TALLIES.items():
        op.create_table(tally, *_columns(tally))
        op.execute(f"LOCK TABLE {table} IN SHARE MODE")  # the backfill and the triggers see the same rows
        key_exprs = ", ".join(f"{expr} AS {key}" for key, expr in keys.items())
        totals = ", ".join(f"sum({expr})::bigint" for expr in measures.values())
        op.execute(
            f"INSERT INTO {tally} ({', '.join(keys)}, {', '.join(measures)}) "
            f"SELECT {key_exprs}, {totals} FROM {table} GROUP BY {', '.join(keys)}"
        )
        op.execute(_function(tally, keys, measures))
        for statement in _triggers(tally, table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_source_posted_at", table_name="source")
    for tally, (table, _keys, _measures) in TALLIES.items():
        for op_name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS mf_{tally}_{op_name} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS mf_{tally}()")
        op.drop_table(tally)
