"""Expected tables of accounts and learner progress (docs/data-model.md)."""

from __future__ import annotations

from tests.migrations.expected_schema.shapes import (
    CASCADE,
    INTEGER,
    SCORE,
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

# Accounts and their sessions.
USER_TABLES: tuple[Table, ...] = (
    Table(
        name="users",
        columns=(
            id_column(),
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
            id_column(),
            Column("user_id", UUID, True),
            Column("token_hash", varchar(64), True),
            Column("jti", varchar(36), True),
            Column("replaced_by_jti", varchar(36), False),
            Column("device_info", TEXT, False),
            Column("revoked_at", TIMESTAMPTZ, False),
            Column("expires_at", TIMESTAMPTZ, True),
            created_at_column(),
        ),
        primary_key=("id",),
        foreign_keys=(fk("user_id", "users", CASCADE),),
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
)


# What a learner has reached and aims at.
PROGRESS_TABLES: tuple[Table, ...] = (
    Table(
        name="user_progress",
        columns=(
            id_column(),
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
        foreign_keys=(fk("user_id", "users", CASCADE),),
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
            id_column(),
            Column("user_id", UUID, True),
            Column("skill", "skill", True),
            Column("submission_id", UUID, True),
            Column("score", SCORE, True),
            Column("scaffolding_type", varchar(20), False),
            created_at_column(),
        ),
        primary_key=("id",),
        foreign_keys=(
            fk("user_id", "users", CASCADE),
            fk("submission_id", "submissions", CASCADE),
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
            id_column(),
            Column("user_id", UUID, True),
            Column("target_band", "vstep_band", True),
            Column("current_estimated_band", varchar(10), False),
            Column("deadline", TIMESTAMPTZ, False),
            Column("daily_study_time_minutes", INTEGER, True, "30"),
            *TIMESTAMPS,
        ),
        primary_key=("id",),
        foreign_keys=(fk("user_id", "users", CASCADE),),
        indexes=(Index("user_goals_user_idx", "user_goals", ("user_id",)),),
    ),
)
