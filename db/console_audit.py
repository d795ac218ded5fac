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

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import ConsoleAudit


@dataclass(frozen=True)
class Actor:
    """Who made a change, and from where."""

    id: uuid.UUID | None
    email: str
    address: str | None = None


def audit_append(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target: Mapping[str, Any],
    outcome: str,
    preview: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> uuid.UUID:
    return session.execute(
        sa.insert(ConsoleAudit)
        .values(
            actor_id=actor.id,
            actor_email=actor.email,
            address=actor.address,
            action=action,
            target=dict(target),
            preview=dict(preview) if preview is not None else None,
            outcome=outcome,
            detail=dict(detail) if detail is not None else None,
        )
        .returning(ConsoleAudit.id)
    ).scalar_one()


def audit_page(
    session: Session,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    action: str | None,
    limit: int,
) -> list[ConsoleAudit]:
    """Newest first; ``before`` is the (created_at, id) of the previous page's last row."""
    query = (
        sa.select(ConsoleAudit)
        .order_by(ConsoleAudit.created_at.desc(), ConsoleAudit.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(
            sa.tuple_(ConsoleAudit.created_at, ConsoleAudit.id) < sa.tuple_(*before)
        )
    if action:
        query = query.where(ConsoleAudit.action == action)
    return list(session.scalars(query))
