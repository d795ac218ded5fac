"""Refresh tokens: issue, rotate, revoke one, revoke all of a user's (rules: domain/tokens.py).

A token is 32 random bytes (URL-safe base64) returned once; the table keeps its SHA-256,
a ``jti`` and ``expires_at``. Rotation locks the presented token's row, so two
rotations of one token at once run one after the other: the first rotates it, the
second then finds it already rotated, which is reuse.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker

from db.clock import clock_or_now, database_now
from db.models import RefreshToken
from db.purge import purge_batch
from domain.tokens import Presented, StoredToken, TokenRefused, presented, token_hash

# How long a refresh token lives unless the caller says otherwise.
DEFAULT_TTL = timedelta(days=30)
TOKEN_BYTES = 32


@dataclass(frozen=True)
class IssuedToken:
    # The token itself: handed to the client once, never stored.
    token: str
    jti: str
    user_id: uuid.UUID
    expires_at: datetime


def issue_token(
    session: Session,
    *,
    user_id: uuid.UUID,
    ttl: timedelta = DEFAULT_TTL,
    device_info: str | None = None,
) -> IssuedToken:
    """A new refresh token for ``user_id``, valid for ``ttl`` from the database's now."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    jti = str(uuid.uuid4())
    expires_at = session.execute(
        sa.insert(RefreshToken)
        .values(
            user_id=user_id,
            token_hash=token_hash(token),
            jti=jti,
            device_info=device_info,
            expires_at=sa.func.now() + ttl,
        )
        .returning(RefreshToken.expires_at)
    ).scalar_one()
    return IssuedToken(token, jti, user_id, expires_at)


def _locked(session: Session, token: str) -> RefreshToken | None:
    return session.scalars(
        sa.select(RefreshToken)
        .where(RefreshToken.token_hash == token_hash(token))
        .order_by(RefreshToken.created_at.desc())
        .limit(1)
        .with_for_update()
    ).one_or_none()


def rotate_token(
    factory: sessionmaker[Session], *, token: str, ttl: timedelta = DEFAULT_TTL
) -> IssuedToken:
    """A new token in place of ``token``, in one transaction; TokenRefused if it may not be.

    Reuse of a rotated token revokes every active token of its user (committed) before
    the refusal is raised.
    """
    revoked = 0
    with factory.begin() as session:
        row = _locked(session, token)
        now = database_now(session)
        found = presented(_stored(row), now)
        if found is Presented.VALID:
            assert row is not None
            issued = issue_token(session, user_id=row.user_id, ttl=ttl, device_info=row.device_info)
            row.replaced_by_jti = issued.jti
            row.revoked_at = now
            return issued
        if found is Presented.REUSED:
            assert row is not None
            revoked = revoke_user_tokens(session, user_id=row.user_id)
    raise TokenRefused(found, _refusal(found, revoked))


def _refusal(found: Presented, revoked: int) -> str:
    if found is Presented.REUSED:
        return (
            "refresh token refused: already rotated (reuse, a sign of theft); "
            f"{revoked} active token(s) of its user revoked"
        )
    return f"refresh token refused: {found.value}"


def _stored(row: RefreshToken | None) -> StoredToken | None:
    if row is None:
        return None
    return StoredToken(row.user_id, row.jti, row.replaced_by_jti, row.revoked_at, row.expires_at)


def revoke_token(session: Session, *, token: str) -> bool:
    """Log out: revoke ``token`` if it is active; False when it was unknown or not active."""
    result = session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash(token), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )
    return cast(CursorResult[Any], result).rowcount > 0


def revoke_user_tokens(session: Session, *, user_id: uuid.UUID) -> int:
    """Revoke every active token of a user (a compromised account); how many."""
    result = session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )
    return cast(CursorResult[Any], result).rowcount


def refresh_tokens_purge(
    session: Session, *, older_than: timedelta, limit: int, now: datetime | None = None
) -> int:
    """Delete up to ``limit`` tokens expired or revoked more than ``older_than`` ago."""
    cutoff = clock_or_now(now) - older_than
    old = sa.or_(RefreshToken.expires_at < cutoff, RefreshToken.revoked_at < cutoff)
    return purge_batch(session, RefreshToken.id, old, limit)
