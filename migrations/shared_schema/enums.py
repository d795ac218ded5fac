"""The 11 enum types of the shared schema, created before the tables that use them."""

from __future__ import annotations

from alembic import op
from sqlalchemy.dialects import postgresql

# Each type's labels in their declared order (PostgreSQL sorts an enum by it), one string
# split on spaces (no label has one), as the table of docs/data-model.md lists them.
ENUM_TYPES: dict[str, str] = {
    "skill": "listening reading writing speaking",
    "vstep_band": "A1 A2 B1 B2 C1",
    "user_role": "learner instructor admin",
    "question_format": (
        "writing_task_1 writing_task_2 speaking_part_1 speaking_part_2 speaking_part_3"
        " reading_mcq reading_tng reading_matching_headings reading_gap_fill"
        " listening_mcq listening_dictation"
    ),
    "question_level": "A1 A2 B1 B2 C1",
    "submission_status": "pending queued processing completed review_pending error retrying failed",
    "review_priority": "low medium high critical",
    "grading_mode": "auto human hybrid",
    "exam_status": "in_progress submitted completed abandoned",
    "streak_direction": "up down neutral",
    "outbox_status": "pending processing published failed",
}


def enum(name: str) -> postgresql.ENUM:
    """The type of a column; create() makes it, once, before any table refers to it."""
    return postgresql.ENUM(*ENUM_TYPES[name].split(), name=name, create_type=False)


def create() -> None:
    for name in ENUM_TYPES:
        enum(name).create(op.get_bind(), checkfirst=False)


def drop() -> None:
    # checkfirst: a type already gone is skipped, as the DROP TYPE IF EXISTS of old did,
    # with no statement text assembled here.
    for name in ENUM_TYPES:
        enum(name).drop(op.get_bind(), checkfirst=True)
