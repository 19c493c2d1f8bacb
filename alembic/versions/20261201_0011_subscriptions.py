"""Subscriptions ("sources" in the UI): followed channels, playlists and feeds, the items each
has seen, a record of every check, the subscription and batch that queued a download, how many
items a one-off playlist download takes, and download choices (presets) on jobs, sources, media
and as each user's default.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "subscription",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("preset", sa.String(length=16), server_default="compatible", nullable=False),
        sa.Column("folder_id", sa.BigInteger(), nullable=True),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("backfill", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("primed", sa.Boolean(), server_default=sa.false(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("next_check_at", nullable=False),
        _ts("checking_since"),
        _ts("last_checked_at"),
        sa.Column("last_found", sa.Integer(), nullable=True),
        sa.Column("last_new_items", sa.Integer(), nullable=True),
        sa.Column("last_skipped", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["folder_id"], ["folder.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subscription_owner_id", "subscription", ["owner_id"])
    op.create_index("ix_subscription_due", "subscription", ["next_check_at"], postgresql_where=sa.text("NOT paused"))
    op.create_table(
        "subscription_item",
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        _ts("seen_at", nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscription.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subscription_id", "url"),
    )
    op.create_table(
        "subscription_check",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        _ts("started_at", nullable=False),
        _ts("finished_at"),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscription.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subscription_check_subscription_id", "subscription_check", ["subscription_id"])
    op.create_table(
        "download_batch",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        _ts("created_at", nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_download_batch_owner_id", "download_batch", ["owner_id"])
    op.add_column("download_job", sa.Column("batch_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        "download_job_batch_id_fkey", "download_job", "download_batch", ["batch_id"], ["id"], ondelete="SET NULL"
    )
    op.create_index("ix_download_job_batch_id", "download_job", ["batch_id"])
    op.add_column("download_job", sa.Column("max_items", sa.Integer(), nullable=True))
    for table in ("download_job", "user"):
        column = "preset" if table == "download_job" else "default_preset"
        op.add_column(table, sa.Column(column, sa.String(length=16), server_default="compatible", nullable=False))
    op.add_column("media", sa.Column("preset", sa.String(length=16), nullable=True))
    op.add_column("download_job", sa.Column("subscription_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        "download_job_subscription_id_fkey",
        "download_job",
        "subscription",
        ["subscription_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index("ix_download_job_subscription_id", "download_job", ["subscription_id"])


def downgrade() -> None:
    op.drop_index("ix_download_job_subscription_id", table_name="download_job")
    op.drop_constraint("download_job_subscription_id_fkey", "download_job", type_="foreignkey")
    op.drop_column("download_job", "subscription_id")
    op.drop_column("media", "preset")
    op.drop_column("user", "default_preset")
    op.drop_column("download_job", "preset")
    op.drop_column("download_job", "max_items")
    op.drop_index("ix_download_job_batch_id", table_name="download_job")
    op.drop_constraint("download_job_batch_id_fkey", "download_job", type_="foreignkey")
    op.drop_column("download_job", "batch_id")
    op.drop_table("download_batch")
    op.drop_table("subscription_check")
    op.drop_table("subscription_item")
    op.drop_table("subscription")
