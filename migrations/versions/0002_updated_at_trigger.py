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

CREATE_FUNCTION = """
            CREATE FUNCTION vstep_set_updated_at() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                NEW.updated_at := now();
                RETURN NEW;
            END;
            $$
            """
# One trigger per table that has updated_at. The names are written in SQL, and format('%I')
# quotes each as DDL needs it, so no statement is assembled in Python.
CREATE_TRIGGERS = """
    DO $$
    DECLARE
        target text;
    BEGIN
        FOREACH target IN ARRAY ARRAY['users', 'questions', 'submissions', 'submission_details',
                                     'exams', 'exam_sessions', 'exam_answers', 'user_progress',
                                     'user_goals'] LOOP
            EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I '
                           || 'FOR EACH ROW EXECUTE FUNCTION vstep_set_updated_at()',
                           target || '_set_updated_at', target);
        END LOOP;
    END;
    $$
"""
DROP_TRIGGERS = """
    DO $$
    DECLARE
        made record;
    BEGIN
        -- The triggers CREATE_TRIGGERS made: each named after its table, calling the function.
        FOR made IN SELECT t.tgname, CAST(t.tgrelid AS regclass) AS on_table
                    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                    WHERE t.tgfoid = to_regproc('vstep_set_updated_at')
                      AND t.tgname = c.relname || '_set_updated_at' LOOP
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', made.tgname, made.on_table);
        END LOOP;
    END;
    $$
"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS vstep_set_updated_at()"


def upgrade() -> None:
    op.execute(sa.text(CREATE_FUNCTION))
    op.execute(sa.text(CREATE_TRIGGERS))


def downgrade() -> None:
    op.execute(sa.text(DROP_TRIGGERS))
    op.execute(sa.text(DROP_FUNCTION))
