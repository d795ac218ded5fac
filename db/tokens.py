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
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from db.clock import database_now
from db.purge import purge_batch
from db.statements import Sql, Tx, execute
from domain.tokens import Presented, StoredToken, TokenRefused, presented, token_hash

# How long a refresh token lives unless the caller says otherwise.
DEFAULT_TTL = timedelta(days=30)
TOKEN_BYTES = 32

TOKEN_INSERT = Sql("""
    INSERT INTO refresh_tokens (user_id, token_hash, jti, device_info, expires_at)
    VALUES (%(user_id)s, %(token_hash)s, %(jti)s, %(device_info)s,
            now() + CAST(%(ttl)s AS interval))
    RETURNING expires_at
""")
# The newest row of the hash, locked: a second rotation of the same token waits here.
TOKEN_LOCK = Sql("""
    SELECT id, user_id, jti, replaced_by_jti, revoked_at, expires_at, device_info
    FROM refresh_tokens
    WHERE token_hash = %(token_hash)s
    ORDER BY created_at DESC
    LIMIT 1
    FOR UPDATE
""")
TOKEN_ROTATED = Sql("""
    UPDATE refresh_tokens SET replaced_by_jti = %(jti)s, revoked_at = %(at)s WHERE id = %(id)s
""")
TOKEN_REVOKE = Sql("""
    UPDATE refresh_tokens SET revoked_at = now()
    WHERE token_hash = %(token_hash)s AND revoked_at IS NULL
""")
TOKENS_REVOKE_OF_USER = Sql("""
    UPDATE refresh_tokens SET revoked_at = now()
    WHERE user_id = %(user_id)s AND revoked_at IS NULL
""")
TOKENS_PURGE = Sql("""
    DELETE FROM refresh_tokens
    WHERE id IN (
        SELECT t.id FROM refresh_tokens t
        -- least() passes over NULL: expired, or revoked, before the cutoff.
        WHERE least(t.expires_at, t.revoked_at)
              < coalesce(CAST(%(now)s AS timestamptz), now()) - CAST(%(older_than)s AS interval)
        LIMIT CAST(%(limit)s AS bigint)
        FOR UPDATE SKIP LOCKED
    )
""")


@dataclass(frozen=True)
class IssuedToken:
    # The token itself: handed to the client once, never stored.
    token: str
    jti: str
    user_id: uuid.UUID
    expires_at: datetime


def issue_token(
    session: Tx,
    *,
    user_id: uuid.UUID,
    ttl: timedelta = DEFAULT_TTL,
    device_info: str | None = None,
) -> IssuedToken:
    """A new refresh token for ``user_id``, valid for ``ttl`` from the database's now."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    jti = str(uuid.uuid4())
    params = {
        "user_id": user_id,
        "token_hash": token_hash(token),
        "jti": jti,
        "device_info": device_info,
        "ttl": ttl,
    }
    row = execute(session, TOKEN_INSERT, params).fetchone()
    assert row is not None
    return IssuedToken(token, jti, user_id, row.expires_at)


def rotate_token(
    factory: sessionmaker[Session], *, token: str, ttl: timedelta = DEFAULT_TTL
) -> IssuedToken:
    """A new token in place of ``token``, in one transaction; TokenRefused if it may not be.

    Reuse of a rotated token revokes every active token of its user (committed) before
    the refusal is raised.
    """
    revoked = 0
    with factory.begin() as session:
        row = execute(session, TOKEN_LOCK, {"token_hash": token_hash(token)}).fetchone()
        now = database_now(session)
        found = presented(_stored(row), now)
        if found is Presented.VALID:
            assert row is not None
            issued = issue_token(session, user_id=row.user_id, ttl=ttl, device_info=row.device_info)
            execute(session, TOKEN_ROTATED, {"jti": issued.jti, "at": now, "id": row.id})
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


def _stored(row: Any) -> StoredToken | None:
    if row is None:
        return None
    return StoredToken(row.user_id, row.jti, row.replaced_by_jti, row.revoked_at, row.expires_at)


def revoke_token(session: Tx, *, token: str) -> bool:
    """Log out: revoke ``token`` if it is active; False when it was unknown or not active."""
    return execute(session, TOKEN_REVOKE, {"token_hash": token_hash(token)}).rowcount > 0


def revoke_user_tokens(session: Tx, *, user_id: uuid.UUID) -> int:
    """Revoke every active token of a user (a compromised account); how many."""
    return execute(session, TOKENS_REVOKE_OF_USER, {"user_id": user_id}).rowcount


def refresh_tokens_purge(
    session: Tx, *, older_than: timedelta, limit: int, now: datetime | None = None
) -> int:
    """Delete up to ``limit`` tokens expired or revoked more than ``older_than`` ago."""
    return purge_batch(session, TOKENS_PURGE, older_than=older_than, limit=limit, now=now)
