"""One user_skill_scores row per submission, enforced by the database.

A duplicate delivery that slipped past the status guard must still not count a
score twice; the progress code inserts with ON CONFLICT on this index.

Revision ID: 0004_user_skill_scores_once
Revises: 0003_outbox_notify
"""

from __future__ import annotations

from alembic import op

revision: str = "0004_user_skill_scores_once"
down_revision: str | None = "0003_outbox_notify"


def upgrade() -> None:
    op.create_index(
        "user_skill_scores_submission_unique", "user_skill_scores", ["submission_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("user_skill_scores_submission_unique", table_name="user_skill_scores")
