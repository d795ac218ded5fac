"""users and refresh_tokens."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrations.shared_schema.columns import fk, generated_id, soft_delete, stamped_now
from migrations.shared_schema.enums import enum
from migrations.shared_schema.indexes import LIVE, Index

TABLES = ("users", "refresh_tokens")

INDEXES = (
    Index("users_active_idx", "users", ("id",), where=LIVE),
    Index("users_email_unique", "users", ("email",), unique=True, where=LIVE),
    Index("users_role_idx", "users", ("role",)),
    Index("refresh_tokens_active_idx", "refresh_tokens", ("user_id",), where="revoked_at IS NULL"),
    Index("refresh_tokens_expires_at_idx", "refresh_tokens", ("expires_at",)),
    Index("refresh_tokens_hash_idx", "refresh_tokens", ("token_hash",)),
    Index("refresh_tokens_jti_unique", "refresh_tokens", ("jti",), unique=True),
    Index("refresh_tokens_user_id_idx", "refresh_tokens", ("user_id",)),
)


def create_tables() -> None:
    op.create_table(
        "users",
        generated_id(),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=True),
        sa.Column("role", enum("user_role"), server_default=sa.text("'learner'"), nullable=False),
        *soft_delete(),
        sa.PrimaryKeyConstraint("id", name=op.f("users_pkey")),
    )
    op.create_table(
        "refresh_tokens",
        generated_id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=36), nullable=False),
        sa.Column("replaced_by_jti", sa.String(length=36), nullable=True),
        sa.Column("device_info", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        stamped_now("created_at"),
        fk("refresh_tokens_user_id_fkey", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("refresh_tokens_pkey")),
    )
