"""The feed's posted-date range at 1M media: each media-source link carries its source's posted
date and its media's download date, kept by triggers, with one index on (posted_at,
media_created_at, media_id). A range's matches are then one index range read in any order of
download, where they used to cost a source lookup, a link lookup and a media lookup each
(about 100 ms for one old week at 1M media; bench/UI_RESULTS.md). The index on
``source.posted_at`` served only that path and goes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = """
CREATE FUNCTION mf_link_dates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.posted_at := (SELECT posted_at FROM source WHERE id = NEW.source_id);
  NEW.media_created_at := (SELECT created_at FROM media WHERE id = NEW.media_id);
  RETURN NEW;
END $$;

CREATE FUNCTION mf_source_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE media_source SET posted_at = NEW.posted_at WHERE source_id = NEW.id;
  RETURN NULL;
END $$;

CREATE FUNCTION mf_media_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE media_source SET media_created_at = NEW.created_at WHERE media_id = NEW.id;
  RETURN NULL;
END $$;
"""

# The search text depends on which media and source a link joins, not on its dates: writing the
# dates (the backfill included) must not rebuild the media's search text (migration 0002's trigger
# ran on every update).
SEARCH_TRIGGER = """
DROP TRIGGER mf_media_source_search ON media_source;
CREATE TRIGGER mf_media_source_search AFTER INSERT OR DELETE OR UPDATE OF media_id, source_id ON media_source
  FOR EACH ROW EXECUTE FUNCTION mf_link_changed();
"""

DATE_TRIGGERS = (("mf_link_dates", "media_source"), ("mf_source_posted", "source"), ("mf_media_created", "media"))
TRIGGERS = """
CREATE TRIGGER mf_link_dates BEFORE INSERT OR UPDATE OF media_id, source_id ON media_source
  FOR EACH ROW EXECUTE FUNCTION mf_link_dates();
CREATE TRIGGER mf_source_posted AFTER UPDATE OF posted_at ON source
  FOR EACH ROW WHEN (OLD.posted_at IS DISTINCT FROM NEW.posted_at) EXECUTE FUNCTION mf_source_posted();
CREATE TRIGGER mf_media_created AFTER UPDATE OF created_at ON media
  FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at) EXECUTE FUNCTION mf_media_created();
"""


def upgrade() -> None:
    op.add_column("media_source", sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("media_source", sa.Column("media_created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("LOCK TABLE media_source, source, media IN SHARE MODE")  # the backfill and triggers agree
    op.execute(SEARCH_TRIGGER)
    op.execute(
        "UPDATE media_source ms SET posted_at = s.posted_at, media_created_at = m.created_at "
        "FROM source s, media m WHERE s.id = ms.source_id AND m.id = ms.media_id"
    )
    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)
    op.create_index("ix_media_source_posted", "media_source", ["posted_at", "media_created_at", "media_id"])
    op.drop_index("ix_source_posted_at", table_name="source")


def downgrade() -> None:
    op.create_index("ix_source_posted_at", "source", ["posted_at"])
    op.drop_index("ix_media_source_posted", table_name="media_source")
    op.execute("DROP TRIGGER mf_media_source_search ON media_source")
    op.execute(
        "CREATE TRIGGER mf_media_source_search AFTER INSERT OR DELETE OR UPDATE ON media_source "
        "FOR EACH ROW EXECUTE FUNCTION mf_link_changed()"
    )
    for trigger, table in DATE_TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
        op.execute(f"DROP FUNCTION {trigger}()")
    op.drop_column("media_source", "media_created_at")
    op.drop_column("media_source", "posted_at")
