"""Expected tables of questions and exams (docs/data-model.md)."""

from __future__ import annotations

from tests.migrations.expected_schema.shapes import (
    BOOLEAN,
    CASCADE,
    INTEGER,
    JSONB,
    NOW,
    RESTRICT,
    SCORE,
    SET_NULL,
    SOFT_DELETE,
    TIMESTAMPS,
    TIMESTAMPTZ,
    UUID,
    Column,
    Index,
    Table,
    created_at_column,
    fk,
    id_column,
)

# The question bank and its history.
QUESTION_TABLES: tuple[Table, ...] = (
    Table(
        name="questions",
        columns=(
            id_column(),
            Column("skill", "skill", True),
            Column("level", "question_level", True),
            Column("format", "question_format", True),
            Column("content", JSONB, True),
            Column("answer_key", JSONB, False),
            Column("version", INTEGER, True, "1"),
            Column("is_active", BOOLEAN, True, "true"),
            Column("created_by", UUID, False),
            *SOFT_DELETE,
        ),
        primary_key=("id",),
        foreign_keys=(fk("created_by", "users", SET_NULL),),
        indexes=(
            Index(
                "questions_active_idx",
                "questions",
                ("skill", "level"),
                False,
                "is_active = true AND deleted_at IS NULL",
            ),
            Index("questions_format_idx", "questions", ("format",)),
            Index("questions_created_by_idx", "questions", ("created_by",)),
        ),
    ),
    Table(
        name="question_versions",
        columns=(
            id_column(),
            Column("question_id", UUID, True),
            Column("version", INTEGER, True),
            Column("content", JSONB, True),
            Column("answer_key", JSONB, False),
            created_at_column(),
        ),
        primary_key=("id",),
        foreign_keys=(fk("question_id", "questions", CASCADE),),
        indexes=(
            Index(
                "question_versions_unique_idx",
                "question_versions",
                ("question_id", "version"),
                True,
            ),
        ),
    ),
)


# Exams, their sessions and what a session answered.
EXAM_TABLES: tuple[Table, ...] = (
    Table(
        name="exams",
        columns=(
            id_column(),
            Column("level", "question_level", True),
            Column("blueprint", JSONB, True),
            Column("is_active", BOOLEAN, True, "true"),
            Column("created_by", UUID, False),
            *SOFT_DELETE,
        ),
        primary_key=("id",),
        foreign_keys=(fk("created_by", "users", SET_NULL),),
        indexes=(
            Index("exams_level_idx", "exams", ("level",)),
            Index(
                "exams_active_idx",
                "exams",
                ("level",),
                False,
                "is_active = true AND deleted_at IS NULL",
            ),
        ),
    ),
    Table(
        name="exam_sessions",
        columns=(
            id_column(),
            Column("user_id", UUID, True),
            Column("exam_id", UUID, True),
            Column("status", "exam_status", True, "in_progress"),
            Column("listening_score", SCORE, False),
            Column("reading_score", SCORE, False),
            Column("writing_score", SCORE, False),
            Column("speaking_score", SCORE, False),
            Column("overall_score", SCORE, False),
            Column("started_at", TIMESTAMPTZ, True, NOW),
            Column("completed_at", TIMESTAMPTZ, False),
            *SOFT_DELETE,
        ),
        primary_key=("id",),
        foreign_keys=(
            fk("user_id", "users", CASCADE),
            fk("exam_id", "exams", RESTRICT),
        ),
        indexes=(
            Index("exam_sessions_user_idx", "exam_sessions", ("user_id",)),
            Index("exam_sessions_exam_id_idx", "exam_sessions", ("exam_id",)),
            Index("exam_sessions_status_idx", "exam_sessions", ("status",)),
            Index(
                "exam_sessions_user_status_idx",
                "exam_sessions",
                ("user_id", "status"),
                False,
                "deleted_at IS NULL",
            ),
        ),
    ),
    Table(
        name="exam_answers",
        columns=(
            id_column(),
            Column("session_id", UUID, True),
            Column("question_id", UUID, True),
            Column("answer", JSONB, True),
            Column("is_correct", BOOLEAN, False),
            *TIMESTAMPS,
        ),
        primary_key=("id",),
        foreign_keys=(
            fk("session_id", "exam_sessions", CASCADE),
            fk("question_id", "questions", CASCADE),
        ),
        indexes=(
            Index(
                "exam_answers_session_question_idx",
                "exam_answers",
                ("session_id", "question_id"),
                True,
            ),
        ),
    ),
    Table(
        name="exam_submissions",
        columns=(
            id_column(),
            Column("session_id", UUID, True),
            Column("submission_id", UUID, True),
            Column("skill", "skill", True),
            created_at_column(),
        ),
        primary_key=("id",),
        foreign_keys=(
            fk("session_id", "exam_sessions", CASCADE),
            fk("submission_id", "submissions", CASCADE),
        ),
        indexes=(
            Index(
                "exam_submissions_session_submission_unique",
                "exam_submissions",
                ("session_id", "submission_id"),
                True,
            ),
            Index("exam_submissions_session_idx", "exam_submissions", ("session_id",)),
            Index("exam_submissions_submission_idx", "exam_submissions", ("submission_id",)),
        ),
    ),
)
