"""Platform identity, source tags and error links: ``source.platform`` names the site,
``media_tag.from_source`` marks tags the site gave (hashtags, categories) apart from the users'
own, ``download_job.error_action`` is the page that fixes a failure (Connections, Engines).

Existing rows get ``core.platforms.normalise`` of the extractor key they were stored under
(``twitter`` -> ``x``, ``telegramembed`` -> ``telegram``, ``generic`` -> ``web``). Two sources that
become the same (platform, external_id) are merged into the older one, keeping every media link.
The downgrade keeps the new names (the old keys are not recorded anywhere) and drops the column.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mediafetcher_app.core.platforms import normalise

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MERGE = """
WITH ranked AS (
  SELECT id, first_value(id) OVER (PARTITION BY platform, external_id ORDER BY id) AS keeper
  FROM source WHERE external_id IS NOT NULL
), moved AS (
  INSERT INTO media_source (media_id, source_id)
  SELECT ms.media_id, r.keeper FROM media_source ms JOIN ranked r ON r.id = ms.source_id AND r.id <> r.keeper
  ON CONFLICT DO NOTHING
)
DELETE FROM source s USING ranked r WHERE s.id = r.id AND r.id <> r.keeper
"""


def upgrade() -> None:
    bind = op.get_bind()
    keys = bind.execute(sa.text("SELECT DISTINCT platform FROM source")).scalars().all()
    renames = {key: normalise(key) for key in keys if normalise(key) != key}
    if renames:
        op.drop_constraint("uq_source_platform_external_id", "source", type_="unique")
        for old, new in renames.items():
            bind.execute(sa.text("UPDATE source SET platform = :new WHERE platform = :old"), {"new": new, "old": old})
        bind.execute(sa.text(MERGE))
        op.create_unique_constraint("uq_source_platform_external_id", "source", ["platform", "external_id"])
    op.add_column("download_job", sa.Column("error_action", sa.String(length=64), nullable=True))
    op.add_column("media_tag", sa.Column("from_source", sa.Boolean(), nullable=False, server_default=sa.text("false")))


def downgrade() -> None:
    op.drop_column("media_tag", "from_source")
    op.drop_column("download_job", "error_action")
