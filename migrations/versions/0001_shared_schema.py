"""The shared schema of docs/data-model.md: 11 enum types, 16 tables, their keys and indexes.

Revision ID: 0001_shared_schema
Revises:
Create Date: 2026-11-26 05:06:01.930163
"""

from __future__ import annotations

from alembic import op

from migrations.shared_schema import (
    Family,
    enums,
    exams,
    outbox,
    progress,
    questions,
    submissions,
    users,
)
from migrations.shared_schema.indexes import create_indexes, drop_indexes

revision: str = "0001_shared_schema"
down_revision: str | None = None

# In the order of their foreign keys: a family refers only to itself and the ones before it.
FAMILIES: tuple[Family, ...] = (users, questions, submissions, exams, progress, outbox)


def upgrade() -> None:
    enums.create()
    for family in FAMILIES:
        family.create_tables()
        create_indexes(family.INDEXES)


def downgrade() -> None:
    for family in reversed(FAMILIES):
        drop_indexes(family.INDEXES)
        for table in reversed(family.TABLES):
            op.drop_table(table)
    enums.drop()
