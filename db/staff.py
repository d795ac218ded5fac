"""Named queries on the platform's ``users`` table for staff: sign-in lookups and accounts.

The platform owns ``users``; the console reads an account by email (live ones only:
``users_email_unique`` holds among them), rewrites an outdated password hash after a
sign-in, and ``staff add`` creates or promotes an instructor or admin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from db.statements import Sql, Tx, execute
from domain.enums import UserRole

STAFF_ROLES = (UserRole.INSTRUCTOR, UserRole.ADMIN)

ACCOUNT_BY_EMAIL = Sql("""
    SELECT id, email, password_hash, role, full_name FROM users
    WHERE lower(email) = %(email)s AND deleted_at IS NULL
    ORDER BY created_at
    LIMIT 1
""")
STAFF_ACCOUNT = Sql("""
    SELECT id, email, password_hash, role, full_name FROM users
    WHERE id = %(id)s AND deleted_at IS NULL AND role = ANY(CAST(%(roles)s AS user_role[]))
""")
EMAILS_OF = Sql("SELECT id, email FROM users WHERE id = ANY(CAST(%(ids)s AS uuid[]))")
PASSWORD_HASH_REPLACE = Sql("""
    UPDATE users SET password_hash = %(new)s, updated_at = now()
    WHERE id = %(id)s AND password_hash = %(old)s
    RETURNING id
""")
STAFF_PROMOTE = Sql("""
    UPDATE users SET role = %(role)s, password_hash = %(password_hash)s, updated_at = now()
    WHERE id = %(id)s
""")
STAFF_CREATE = Sql("""
    INSERT INTO users (email, password_hash, role)
    VALUES (%(email)s, %(password_hash)s, %(role)s)
    RETURNING id
""")


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    email: str
    password_hash: str
    role: UserRole
    full_name: str | None


def _account(row: Any) -> Account | None:
    if row is None:
        return None
    return Account(row.id, row.email, row.password_hash, UserRole(row.role), row.full_name)


def account_by_email(session: Tx, *, email: str) -> Account | None:
    """The live account of ``email`` (compared case-insensitively), or None."""
    return _account(execute(session, ACCOUNT_BY_EMAIL, {"email": email.strip().lower()}).fetchone())


def staff_account(session: Tx, *, id: uuid.UUID) -> Account | None:
    """The live instructor or admin ``id``; None for a learner, a deleted or unknown user."""
    roles = [role.value for role in STAFF_ROLES]
    return _account(execute(session, STAFF_ACCOUNT, {"id": id, "roles": roles}).fetchone())


def emails_of(session: Tx, *, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The email of each user id (deleted ones too: a name for who did something)."""
    if not ids:
        return {}
    rows = execute(session, EMAILS_OF, {"ids": list(ids)})
    return {row.id: row.email for row in rows}


def password_hash_replace(session: Tx, *, id: uuid.UUID, old: str, new: str) -> bool:
    """Store a rehashed password, only if the hash is still the one that was verified."""
    params = {"id": id, "old": old, "new": new}
    return execute(session, PASSWORD_HASH_REPLACE, params).fetchone() is not None


def staff_upsert(
    session: Tx, *, email: str, role: UserRole, password_hash: str
) -> tuple[uuid.UUID, bool]:
    """Create the staff account ``email``, or promote the live one and set its password.

    Returns the user's id and whether it was created. Never demotes: ``role`` is what
    the account becomes (an admin named as instructor becomes an instructor on purpose).
    """
    existing = account_by_email(session, email=email)
    params = {"role": role.value, "password_hash": password_hash}
    if existing is not None:
        execute(session, STAFF_PROMOTE, {**params, "id": existing.id})
        return existing.id, False
    created = execute(session, STAFF_CREATE, {**params, "email": email.strip()}).fetchone()
    assert created is not None
    return created.id, True
