"""Refresh-token rotation (docs/scoring.md#refresh-tokens): what presenting a token means.

Only a token's SHA-256 is stored. A presented token is checked in this order:
1. unknown or expired: refused;
2. already rotated (``replaced_by_jti`` set): reuse, a sign the token was stolen: every
   active token of the user is revoked, and the call refused;
3. revoked otherwise (a logout): refused, nothing else changes;
4. valid: rotated, a new token issued and the old one marked replaced and revoked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import VstepGradingError


class Presented(StrEnum):
    """What a presented token turned out to be."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REUSED = "reused"
    REVOKED = "revoked"
    VALID = "valid"


class TokenRefused(VstepGradingError):
    """A presented refresh token was refused; ``reason`` says why (a Presented value)."""

    def __init__(self, reason: Presented, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class StoredToken:
    """A refresh_tokens row, as the rotation check needs it."""

    user_id: object
    jti: str
    replaced_by_jti: str | None
    revoked_at: datetime | None
    expires_at: datetime


def token_hash(token: str) -> str:
    """The hex SHA-256 the table stores in place of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def presented(row: StoredToken | None, now: datetime) -> Presented:
    """The rotation checks, in their order."""
    if row is None:
        return Presented.UNKNOWN
    if row.expires_at <= now:
        return Presented.EXPIRED
    if row.replaced_by_jti is not None:
        return Presented.REUSED
    if row.revoked_at is not None:
        return Presented.REVOKED
    return Presented.VALID
