"""Named queries on the platform's ``users`` table for staff: sign-in lookups and accounts.

The platform owns ``users``; the console reads an account by email (live ones only:
``users_email_unique`` holds among them), rewrites an outdated password hash after a
sign-in, and ``staff add`` creates or promotes an instructor or admin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import User
from domain.enums import UserRole

STAFF_ROLES = (UserRole.INSTRUCTOR, UserRole.ADMIN)


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    email: str
    password_hash: str
    role: UserRole
    full_name: str | None


def _account(row: User) -> Account:
    return Account(row.id, row.email, row.password_hash, row.role, row.full_name)


def account_by_email(session: Session, *, email: str) -> Account | None:
    """The live account of ``email`` (compared case-insensitively), or None."""
    row = session.scalars(
        sa.select(User)
        .where(sa.func.lower(User.email) == email.strip().lower(), User.deleted_at.is_(None))
        .order_by(User.created_at)
        .limit(1)
    ).one_or_none()
    return None if row is None else _account(row)


def staff_account(session: Session, *, id: uuid.UUID) -> Account | None:
    """The live instructor or admin ``id``; None for a learner, a deleted or unknown user."""
    row = session.scalars(
        sa.select(User).where(User.id == id, User.deleted_at.is_(None), User.role.in_(STAFF_ROLES))
    ).one_or_none()
    return None if row is None else _account(row)


def emails_of(session: Session, *, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The email of each user id (deleted ones too: a name for who did something)."""
    if not ids:
        return {}
    rows = session.execute(sa.select(User.id, User.email).where(User.id.in_(ids)))
    return {row.id: row.email for row in rows}


def password_hash_replace(session: Session, *, id: uuid.UUID, old: str, new: str) -> bool:
    """Store a rehashed password, only if the hash is still the one that was verified."""
    moved = session.execute(
        sa.update(User)
        .where(User.id == id, User.password_hash == old)
        .values(password_hash=new)
        .returning(User.id)
    ).first()
    return moved is not None


def staff_upsert(
    session: Session, *, email: str, role: UserRole, password_hash: str
) -> tuple[uuid.UUID, bool]:
    """Create the staff account ``email``, or promote the live one and set its password.

    Returns the user's id and whether it was created. Never demotes: ``role`` is what
    the account becomes (an admin named as instructor becomes an instructor on purpose).
    """
    existing = account_by_email(session, email=email)
    if existing is not None:
        session.execute(
            sa.update(User)
            .where(User.id == existing.id)
            .values(role=role, password_hash=password_hash)
        )
        return existing.id, False
    created = session.execute(
        sa.insert(User)
        .values(email=email.strip(), password_hash=password_hash, role=role)
        .returning(User.id)
    ).scalar_one()
    return created, True
