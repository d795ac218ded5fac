"""Named queries on ``console_audit``: one row per change made through the console.

A change and its audit row commit in one transaction where the change is ours to run;
a change the result path commits on its own (a review) gets its row right after, with
the outcome it had, refused or done.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.custom_plans import plan_each_call
from db.statements import Sql, Tx, execute, jsonb

AUDIT_APPEND = Sql(
    """
    INSERT INTO console_audit
        (actor_id, actor_email, action, target, preview, outcome, detail, address)
    VALUES (%(actor_id)s, %(actor_email)s, %(action)s, %(target)s, %(preview)s, %(outcome)s,
            %(detail)s, %(address)s)
    RETURNING id
    """
)

# Newest first through console_audit_created_idx; ``before`` and ``action`` optional.
AUDIT_PAGE = Sql(
    """
    SELECT id, created_at, actor_id, actor_email, action, target, preview, outcome, detail,
           address
    FROM console_audit
    WHERE (CAST(%(before_at)s AS timestamptz) IS NULL
           OR (created_at, id) < (%(before_at)s, %(before_id)s))
      AND (CAST(%(action)s AS text) IS NULL OR action = %(action)s)
    ORDER BY created_at DESC, id DESC
    LIMIT %(limit)s
    """
)


@dataclass(frozen=True)
class Actor:
    """Who made a change, and from where."""

    id: uuid.UUID | None
    email: str
    address: str | None = None


@dataclass(frozen=True)
class AuditRow:
    id: uuid.UUID
    created_at: datetime
    actor_id: uuid.UUID | None
    actor_email: str
    action: str
    target: dict[str, Any]
    preview: dict[str, Any] | None
    outcome: str
    detail: dict[str, Any] | None
    address: str | None


def audit_append(
    session: Tx,
    *,
    actor: Actor,
    action: str,
    target: Mapping[str, Any],
    outcome: str,
    preview: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> uuid.UUID:
    params = {
        "actor_id": actor.id,
        "actor_email": actor.email,
        "address": actor.address,
        "action": action,
        "target": jsonb(target),
        "preview": jsonb(preview),
        "outcome": outcome,
        "detail": jsonb(detail),
    }
    row = execute(session, AUDIT_APPEND, params).fetchone()
    assert row is not None
    audit_id: uuid.UUID = row.id
    return audit_id


def audit_page(
    session: Tx,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    action: str | None,
    limit: int,
) -> list[AuditRow]:
    """Newest first; ``before`` is the (created_at, id) of the previous page's last row."""
    plan_each_call(session)
    before_at, before_id = before if before is not None else (None, None)
    params = {
        "before_at": before_at,
        "before_id": before_id,
        "action": action or None,
        "limit": limit,
    }
    return [AuditRow(*row) for row in execute(session, AUDIT_PAGE, params)]
