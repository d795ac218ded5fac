"""Keep updated_at current for every writer, not only the ORM.

Other services update these tables in plain SQL, so the column is maintained by a
trigger; the function is an addition, nothing of the shared schema (docs/data-model.md) changes.

Revision ID: 0002_updated_at_trigger
Revises: 0001_shared_schema
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_updated_at_trigger"
down_revision: str | None = "0001_shared_schema"

TABLES_WITH_UPDATED_AT = (
    "users",
    "questions",
    "submissions",
    "submission_details",
    "exams",
    "exam_sessions",
    "exam_answers",
    "user_progress",
    "user_goals",
)


def upgrade() -> None:
    op.execute(
        sa.text(
            """
            CREATE FUNCTION vstep_set_updated_at() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                NEW.updated_at := now();
                RETURN NEW;
            END;
            $$
            """
        )
    )
    for table in TABLES_WITH_UPDATED_AT:
        op.execute(
            sa.text(
                f"CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION vstep_set_updated_at()"
            )
        )


def downgrade() -> None:
    for table in TABLES_WITH_UPDATED_AT:
        op.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_set_updated_at ON {table}"))
    op.execute(sa.text("DROP FUNCTION IF EXISTS vstep_set_updated_at()"))
