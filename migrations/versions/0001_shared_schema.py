"""The shared schema of docs/data-model.md: 11 enum types, 16 tables, their keys and indexes.

Revision ID: 0001_shared_schema
Revises:
Create Date: 2026-11-26 05:06:01.930163
"""

from __future__ import annotations

from collections.abc import Sequence

from migrations.shared_schema import enums, exams, outbox, progress, questions, submissions, users

revision: str = "0001_shared_schema"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# In the order of their foreign keys: a family refers only to the ones before it.
FAMILIES = (users, questions, submissions, exams, progress, outbox)


def upgrade() -> None:
    enums.create()
    for family in FAMILIES:
        family.create()


def downgrade() -> None:
    for family in reversed(FAMILIES):
        family.drop()
    enums.drop()
