"""The shared database contract (docs/data-model.md), transcribed as plain data.

Types are spelled the way PostgreSQL's ``format_type(atttypid, atttypmod)`` prints
them; defaults are spelled in the normalised form produced by
``normalise_default`` in ``test_schema_catalog`` (casts and quotes stripped).
This module is the expectation only: it must not be derived from the
SQLAlchemy models or the migrations.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- type spellings (as format_type() prints them) --------------------------------

UUID = "uuid"
TEXT = "text"
JSONB = "jsonb"
INTEGER = "integer"
BOOLEAN = "boolean"
TIMESTAMPTZ = "timestamp with time zone"
SCORE = "numeric(3,1)"


def varchar(length: int) -> str:
    return f"character varying({length})"


# --- default spellings (normalised) -----------------------------------------------

NOW = "now()"
GEN_UUID = "gen_random_uuid()"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str  # "NO ACTION" | "RESTRICT" | "CASCADE" | "SET NULL" | "SET DEFAULT"


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    predicate: str | None = None  # as written in the contract


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()


def _id() -> Column:
    return Column("id", UUID, True, GEN_UUID)


def _created_at() -> Column:
    return Column("created_at", TIMESTAMPTZ, True, NOW)


# The "timestamps" and "soft delete" column sets (docs/data-model.md).
TIMESTAMPS: tuple[Column, ...] = (
    Column("created_at", TIMESTAMPTZ, True, NOW),
    Column("updated_at", TIMESTAMPTZ, True, NOW),
)
SOFT_DELETE: tuple[Column, ...] = (
    *TIMESTAMPS,
    Column("deleted_at", TIMESTAMPTZ, False),
)


def _fk(column: str, ref_table: str, on_delete: str) -> ForeignKey:
    return ForeignKey((column,), ref_table, ("id",), on_delete)


CASCADE = "CASCADE"
RESTRICT = "RESTRICT"
SET_NULL = "SET NULL"

# --- enums ------------------------------------------------------------------------

ENUMS: dict[str, tuple[str, ...]] = {
    "skill": ("listening", "reading", "writing", "speaking"),
    "vstep_band": ("A1", "A2", "B1", "B2", "C1"),
    "user_role": ("learner", "instructor", "admin"),
    "question_format": (
        "writing_task_1",
        "writing_task_2",
        "speaking_part_1",
        "speaking_part_2",
        "speaking_part_3",
        "reading_mcq",
        "reading_tng",
        "reading_matching_headings",
        "reading_gap_fill",
        "listening_mcq",
        "listening_dictation",
    ),
    "question_level": ("A1", "A2", "B1", "B2", "C1"),
    "submission_status": (
        "pending",
        "queued",
        "processing",
        "completed",
        "review_pending",
        "error",
        "retrying",
        "failed",
    ),
    "review_priority": ("low", "medium", "high", "critical"),
    "grading_mode": ("auto", "human", "hybrid"),
    "exam_status": ("in_progress", "submitted", "completed", "abandoned"),
    "streak_direction": ("up", "down", "neutral"),
    "outbox_status": ("pending", "processing", "published", "failed"),
}

# --- tables -----------------------------------------------------------------------

TABLES: tuple[Table, ...] = (
    Table(
        name="users",
        columns=(
            _id(),
            Column("email", varchar(255), True),
            Column("password_hash", varchar(255), True),
            Column("full_name", varchar(255), False),
            Column("role", "user_role", True, "learner"),
            *SOFT_DELETE,
        ),
        primary_key=("id",),
        indexes=(
            Index("users_email_unique", "users", ("email",), True, "deleted_at IS NULL"),
            Index("users_role_idx", "users", ("role",)),
            Index("users_active_idx", "users", ("id",), False, "deleted_at IS NULL"),
        ),
    ),
    Table(
        name="refresh_tokens",
        columns=(
            _id(),
            Column("user_id", UUID, True),
            Column("token_hash", varchar(64), True),
            Column("jti", varchar(36), True),
            Column("replaced_by_jti", varchar(36), False),
            Column("device_info", TEXT, False),
            Column("revoked_at", TIMESTAMPTZ, False),
            Column("expires_at", TIMESTAMPTZ, True),
            _created_at(),
        ),
        primary_key=("id",),
        foreign_keys=(_fk("user_id", "users", CASCADE),),
        indexes=(
            Index("refresh_tokens_hash_idx", "refresh_tokens", ("token_hash",)),
            Index("refresh_tokens_jti_unique", "refresh_tokens", ("jti",), True),
            Index("refresh_tokens_user_id_idx", "refresh_tokens", ("user_id",)),
            Index("refresh_tokens_expires_at_idx", "refresh_tokens", ("expires_at",)),
            Index(
                "refresh_tokens_active_idx",
                "refresh_tokens",
                ("user_id",),
                False,
                "revoked_at IS NULL",
            ),
        ),
    ),
    Table(
        name="questions",
        columns=(
            _id(),
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
        foreign_keys=(_fk("created_by", "users", SET_NULL),),
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
            _id(),
            Column("question_id", UUID, True),
            Column("version", INTEGER, True),
            Column("content", JSONB, True),
            Column("answer_key", JSONB, False),
            _created_at(),
        ),
        primary_key=("id",),
        foreign_keys=(_fk("question_id", "questions", CASCADE),),
        indexes=(
            Index(
                "question_versions_unique_idx",
                "question_versions",
                ("question_id", "version"),
                True,
            ),
        ),
    ),
    Table(
        name="submissions",
        columns=(
            _id(),
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
            _fk("user_id", "users", CASCADE),
            _fk("question_id", "questions", RESTRICT),
            _fk("reviewer_id", "users", SET_NULL),
            _fk("claimed_by", "users", SET_NULL),
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
        foreign_keys=(_fk("submission_id", "submissions", CASCADE),),
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
        foreign_keys=(_fk("submission_id", "submissions", CASCADE),),
        indexes=(
            Index(
                "submission_events_submission_idx",
                "submission_events",
                ("submission_id", "occurred_at"),
            ),
        ),
    ),
    Table(
        name="exams",
        columns=(
            _id(),
            Column("level", "question_level", True),
            Column("blueprint", JSONB, True),
            Column("is_active", BOOLEAN, True, "true"),
            Column("created_by", UUID, False),
            *SOFT_DELETE,
        ),
        primary_key=("id",),
        foreign_keys=(_fk("created_by", "users", SET_NULL),),
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
            _id(),
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
            _fk("user_id", "users", CASCADE),
            _fk("exam_id", "exams", RESTRICT),
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
            _id(),
            Column("session_id", UUID, True),
            Column("question_id", UUID, True),
            Column("answer", JSONB, True),
            Column("is_correct", BOOLEAN, False),
            *TIMESTAMPS,
        ),
        primary_key=("id",),
        foreign_keys=(
            _fk("session_id", "exam_sessions", CASCADE),
            _fk("question_id", "questions", CASCADE),
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
            _id(),
            Column("session_id", UUID, True),
            Column("submission_id", UUID, True),
            Column("skill", "skill", True),
            _created_at(),
        ),
        primary_key=("id",),
        foreign_keys=(
            _fk("session_id", "exam_sessions", CASCADE),
            _fk("submission_id", "submissions", CASCADE),
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
    Table(
        name="user_progress",
        columns=(
            _id(),
            Column("user_id", UUID, True),
            Column("skill", "skill", True),
            Column("current_level", "question_level", True),
            Column("target_level", "question_level", False),
            Column("scaffold_level", INTEGER, True, "1"),
            Column("streak_count", INTEGER, True, "0"),
            Column("streak_direction", "streak_direction", False),
            Column("attempt_count", INTEGER, True, "0"),
            *TIMESTAMPS,
        ),
        primary_key=("id",),
        foreign_keys=(_fk("user_id", "users", CASCADE),),
        indexes=(
            Index(
                "user_progress_user_skill_idx",
                "user_progress",
                ("user_id", "skill"),
                True,
            ),
        ),
    ),
    Table(
        name="user_skill_scores",
        columns=(
            _id(),
            Column("user_id", UUID, True),
            Column("skill", "skill", True),
            Column("submission_id", UUID, True),
            Column("score", SCORE, True),
            Column("scaffolding_type", varchar(20), False),
            _created_at(),
        ),
        primary_key=("id",),
        foreign_keys=(
            _fk("user_id", "users", CASCADE),
            _fk("submission_id", "submissions", CASCADE),
        ),
        indexes=(
            Index(
                "user_skill_scores_user_skill_idx",
                "user_skill_scores",
                ("user_id", "skill", "created_at"),
            ),
        ),
    ),
    Table(
        name="user_goals",
        columns=(
            _id(),
            Column("user_id", UUID, True),
            Column("target_band", "vstep_band", True),
            Column("current_estimated_band", varchar(10), False),
            Column("deadline", TIMESTAMPTZ, False),
            Column("daily_study_time_minutes", INTEGER, True, "30"),
            *TIMESTAMPS,
        ),
        primary_key=("id",),
        foreign_keys=(_fk("user_id", "users", CASCADE),),
        indexes=(Index("user_goals_user_idx", "user_goals", ("user_id",)),),
    ),
    Table(
        name="outbox",
        columns=(
            _id(),
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
            _created_at(),
        ),
        primary_key=("id",),
        foreign_keys=(_fk("submission_id", "submissions", CASCADE),),
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
        foreign_keys=(_fk("submission_id", "submissions", CASCADE),),
        indexes=(Index("processed_callbacks_request_idx", "processed_callbacks", ("request_id",)),),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Tables that may exist in schema public besides the contract's: Alembic's, and the
# console's audit table (ours alone, migration 0006).
ALLOWED_EXTRA_TABLES: frozenset[str] = frozenset({"alembic_version", "console_audit"})

ALL_INDEXES: tuple[Index, ...] = tuple(ix for t in TABLES for ix in t.indexes)
