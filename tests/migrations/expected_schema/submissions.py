"""Expected tables of submissions and their delivery (docs/data-model.md)."""

from __future__ import annotations

from tests.migrations.expected_schema.shapes import (
    BOOLEAN,
    CASCADE,
    GEN_UUID,
    INTEGER,
    JSONB,
    NOW,
    RESTRICT,
    SCORE,
    SET_NULL,
    SOFT_DELETE,
    TEXT,
    TIMESTAMPS,
    TIMESTAMPTZ,
    UUID,
    Column,
    Index,
    Table,
    created_at_column,
    fk,
    id_column,
    varchar,
)

# A submission, its answer and result, and its history.
SUBMISSION_TABLES: tuple[Table, ...] = (
    Table(
        name="submissions",
        columns=(
            id_column(),
            Column("user_id", UUID, True),
            Column("question_id", UUID, True),
            Column("skill", "skill", True),
            Column("status", "submission_status", True, "pending"),
            Column("score", SCORE, False),
            Column("band", "vstep_band", False),
            Column("confidence", INTEGER, False),
            Column("is_late", BOOLEAN, False, "false"),
            Column("attempt", INTEGER, True, "1"),
            Column("request_id", UUID, False),
            Column("review_priority", "review_priority", False),
            Column("reviewer_id", UUID, False),
            Column("grading_mode", "grading_mode", False),
            Column("audit_flag", BOOLEAN, True, "false"),
            Column("claimed_by", UUID, False),
            Column("claimed_at", TIMESTAMPTZ, False),
            Column("deadline", TIMESTAMPTZ, False),
            *SOFT_DELETE,
            Column("completed_at", TIMESTAMPTZ, False),
        ),
        primary_key=("id",),
        foreign_keys=(
            fk("user_id", "users", CASCADE),
            fk("question_id", "questions", RESTRICT),
            fk("reviewer_id", "users", SET_NULL),
            fk("claimed_by", "users", SET_NULL),
        ),
        indexes=(
            Index("submissions_user_id_idx", "submissions", ("user_id",)),
            Index("submissions_skill_idx", "submissions", ("skill",)),
            Index("submissions_question_id_idx", "submissions", ("question_id",)),
            Index("submissions_status_idx", "submissions", ("status",)),
            Index("submissions_user_status_idx", "submissions", ("user_id", "status")),
            Index(
                "submissions_review_queue_idx",
                "submissions",
                ("status", "confidence"),
                False,
                "status = 'review_pending' AND deleted_at IS NULL",
            ),
            Index(
                "submissions_user_history_idx",
                "submissions",
                ("user_id", "created_at"),
                False,
                "deleted_at IS NULL",
            ),
            Index("submissions_request_id_unique", "submissions", ("request_id",), True),
        ),
    ),
    Table(
        name="submission_details",
        columns=(
            Column("submission_id", UUID, True),
            Column("answer", JSONB, True),
            Column("result", JSONB, False),
            Column("feedback", varchar(10000), False),
            *TIMESTAMPS,
        ),
        primary_key=("submission_id",),
        foreign_keys=(fk("submission_id", "submissions", CASCADE),),
    ),
    Table(
        name="submission_events",
        columns=(
            Column("event_id", UUID, True, GEN_UUID),
            Column("submission_id", UUID, True),
            Column("kind", varchar(50), True),
            Column("occurred_at", TIMESTAMPTZ, True, NOW),
            Column("data", JSONB, False),
        ),
        primary_key=("event_id",),
        foreign_keys=(fk("submission_id", "submissions", CASCADE),),
        indexes=(
            Index(
                "submission_events_submission_idx",
                "submission_events",
                ("submission_id", "occurred_at"),
            ),
        ),
    ),
)


# Messages to the grader and callbacks already applied.
DELIVERY_TABLES: tuple[Table, ...] = (
    Table(
        name="outbox",
        columns=(
            id_column(),
            Column("submission_id", UUID, True),
            Column("aggregate_type", varchar(50), False),
            Column("aggregate_id", UUID, False),
            Column("message_type", varchar(50), True),
            Column("payload", JSONB, True),
            Column("status", "outbox_status", True, "pending"),
            Column("attempts", INTEGER, True, "0"),
            Column("error_message", TEXT, False),
            Column("locked_at", TIMESTAMPTZ, False),
            Column("locked_by", varchar(64), False),
            Column("published_at", TIMESTAMPTZ, False),
            created_at_column(),
        ),
        primary_key=("id",),
        foreign_keys=(fk("submission_id", "submissions", CASCADE),),
        indexes=(
            Index("outbox_pending_idx", "outbox", ("created_at",), False, "status = 'pending'"),
            Index(
                "outbox_processing_idx",
                "outbox",
                ("locked_at",),
                False,
                "status = 'processing'",
            ),
        ),
    ),
    Table(
        name="processed_callbacks",
        columns=(
            Column("event_id", UUID, True),  # no default: the sender's id
            Column("request_id", UUID, True),
            Column("submission_id", UUID, True),
            Column("processed_at", TIMESTAMPTZ, True, NOW),
        ),
        primary_key=("event_id",),
        foreign_keys=(fk("submission_id", "submissions", CASCADE),),
        indexes=(Index("processed_callbacks_request_idx", "processed_callbacks", ("request_id",)),),
    ),
)
