"""Ownership: cookie jars belong to a user (and may be shared by an admin); folders and tags
record who created them.

Existing jars become the first admin's (the lowest id; else the lowest-id user), not shared:
until now only an admin could sync cookies. Jars of a database without any user are dropped,
since nobody could own them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_OWNER = """
    SELECT id FROM "user"
    ORDER BY CASE WHEN role = 'admin' THEN 0 ELSE 1 END, id
    LIMIT 1
"""


def upgrade() -> None:
    op.add_column("cookie_jar", sa.Column("owner_id", sa.BigInteger(), nullable=True))
    op.add_column("cookie_jar", sa.Column("shared", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.execute(f"UPDATE cookie_jar SET owner_id = ({FIRST_OWNER})")
    op.execute("DELETE FROM cookie_jar WHERE owner_id IS NULL")
    op.alter_column("cookie_jar", "owner_id", nullable=False)
    op.create_foreign_key(None, "cookie_jar", "user", ["owner_id"], ["id"], ondelete="CASCADE")
    op.drop_constraint("cookie_jar_domain_key", "cookie_jar", type_="unique")
    op.create_unique_constraint("uq_cookie_jar_owner_domain", "cookie_jar", ["owner_id", "domain"])
    op.create_index(
        "uq_cookie_jar_shared_domain", "cookie_jar", ["domain"], unique=True, postgresql_where=sa.text("shared")
    )
    for table in ("folder", "tag"):
        op.add_column(table, sa.Column("created_by", sa.BigInteger(), nullable=True))
        op.create_foreign_key(None, table, "user", ["created_by"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    for table in ("tag", "folder"):
        op.drop_constraint(f"{table}_created_by_fkey", table, type_="foreignkey")
        op.drop_column(table, "created_by")
    op.drop_index("uq_cookie_jar_shared_domain", table_name="cookie_jar", postgresql_where=sa.text("shared"))
    op.drop_constraint("uq_cookie_jar_owner_domain", "cookie_jar", type_="unique")
    # one jar per site again: where several users had one, keep the lowest owner id's
    op.execute(
        "DELETE FROM cookie_jar AS later USING cookie_jar AS earlier "
        "WHERE later.domain = earlier.domain AND later.owner_id > earlier.owner_id"
    )
    op.create_unique_constraint("cookie_jar_domain_key", "cookie_jar", ["domain"])
    op.drop_constraint("cookie_jar_owner_id_fkey", "cookie_jar", type_="foreignkey")
    op.drop_column("cookie_jar", "shared")
    op.drop_column("cookie_jar", "owner_id")
