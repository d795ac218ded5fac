"""users and refresh_tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NOW, USER_ROLE, Base, SoftDelete, fk, uuid_pk
from domain.enums import UserRole


class User(SoftDelete, Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.Index(
            "users_email_unique",
            "email",
            unique=True,
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
        sa.Index("users_role_idx", "role"),
        sa.Index("users_active_idx", "id", postgresql_where=sa.text("deleted_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(sa.String(255))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    full_name: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[UserRole] = mapped_column(USER_ROLE, server_default=sa.text("'learner'"))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        sa.Index("refresh_tokens_hash_idx", "token_hash"),
        sa.Index("refresh_tokens_jti_unique", "jti", unique=True),
        sa.Index("refresh_tokens_user_id_idx", "user_id"),
        sa.Index("refresh_tokens_expires_at_idx", "expires_at"),
        sa.Index(
            "refresh_tokens_active_idx", "user_id", postgresql_where=sa.text("revoked_at IS NULL")
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(fk("users.id", "CASCADE"))
    # hex SHA-256 of the token; the raw token is never stored
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    jti: Mapped[str] = mapped_column(sa.String(36))
    replaced_by_jti: Mapped[str | None] = mapped_column(sa.String(36))
    device_info: Mapped[str | None] = mapped_column(sa.Text)
    revoked_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=NOW)
