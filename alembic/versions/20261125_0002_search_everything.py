"""Search over tags, uploaders, platforms and source URLs, not only title and description.

``media.search_extra`` is denormalised text that triggers keep current when a tag or a source
is linked, unlinked or renamed; the generated ``search_vector`` weights title > extra > description.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of models.SEARCH_VECTOR_SQL at this revision.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', search_extra), 'B') || "
    "setweight(to_tsvector('simple', coalesce(description, '')), 'C')"
)
OLD_VECTOR_SQL = "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(description, ''))"

FUNCTIONS = """
CREATE FUNCTION mf_refresh_media_search(target bigint) RETURNS void LANGUAGE sql AS $$
  UPDATE media SET search_extra = coalesce((
    SELECT string_agg(part, ' ') FROM (
      SELECT t.name AS part FROM media_tag mt JOIN tag t ON t.id = mt.tag_id WHERE mt.media_id = target
      UNION ALL
      SELECT concat_ws(' ', s.platform, s.uploader, s.url, regexp_replace(s.url, '[^[:alnum:]]+', ' ', 'g'))
      FROM media_source ms JOIN source s ON s.id = ms.source_id WHERE ms.media_id = target
    ) parts), '')
  WHERE id = target;
$$;

CREATE FUNCTION mf_link_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM mf_refresh_media_search(NEW.media_id); END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN PERFORM mf_refresh_media_search(OLD.media_id); END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION mf_tag_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mf_refresh_media_search(mt.media_id) FROM media_tag mt WHERE mt.tag_id = NEW.id;
  RETURN NULL;
END $$;

CREATE FUNCTION mf_source_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mf_refresh_media_search(ms.media_id) FROM media_source ms WHERE ms.source_id = NEW.id;
  RETURN NULL;
END $$;

CREATE TRIGGER mf_media_tag_search AFTER INSERT OR UPDATE OR DELETE ON media_tag
  FOR EACH ROW EXECUTE FUNCTION mf_link_changed();
CREATE TRIGGER mf_media_source_search AFTER INSERT OR UPDATE OR DELETE ON media_source
  FOR EACH ROW EXECUTE FUNCTION mf_link_changed();
CREATE TRIGGER mf_tag_search AFTER UPDATE OF name ON tag
  FOR EACH ROW EXECUTE FUNCTION mf_tag_renamed();
CREATE TRIGGER mf_source_search AFTER UPDATE OF platform, uploader, url ON source
  FOR EACH ROW EXECUTE FUNCTION mf_source_changed();
"""

DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS mf_source_search ON source;
DROP TRIGGER IF EXISTS mf_tag_search ON tag;
DROP TRIGGER IF EXISTS mf_media_source_search ON media_source;
DROP TRIGGER IF EXISTS mf_media_tag_search ON media_tag;
DROP FUNCTION IF EXISTS mf_source_changed();
DROP FUNCTION IF EXISTS mf_tag_renamed();
DROP FUNCTION IF EXISTS mf_link_changed();
DROP FUNCTION IF EXISTS mf_refresh_media_search(bigint);
"""


def _replace_vector(expression: str) -> None:
    op.drop_index("ix_media_search", table_name="media")
    op.drop_column("media", "search_vector")
    op.add_column(
        "media",
        sa.Column("search_vector", postgresql.TSVECTOR(), sa.Computed(expression, persisted=True), nullable=True),
    )
    op.create_index("ix_media_search", "media", ["search_vector"], unique=False, postgresql_using="gin")


def upgrade() -> None:
    op.add_column("media", sa.Column("search_extra", sa.Text(), server_default="", nullable=False))
    _replace_vector(SEARCH_VECTOR_SQL)
    op.execute(FUNCTIONS)
    op.execute("SELECT mf_refresh_media_search(id) FROM media")


def downgrade() -> None:
    op.execute(DROP_FUNCTIONS)
    _replace_vector(OLD_VECTOR_SQL)
    op.drop_column("media", "search_extra")
