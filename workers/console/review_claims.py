"""The review workspace's claims: a reviewer takes an item, or gives it back.

Claims are ``db/review_queue.py``'s; every claim and release writes a ``console_audit``
row, refused ones too (``refused``, which the review's submit uses as well).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from db.console_audit import Actor, audit_append
from db.review_queue import ClaimHeld, NotInReview, review_claim, review_release
from db.staff import emails_of
from domain.errors import NotFound
from workers.console.review_forms import Filters, submission_id_of
from workers.console.web import actor_of, in_thread, message, redirect


@dataclass
class ReviewClaims:
    session_factory: sessionmaker[Session]
    claim_minutes: float
    # The workspace's cached queue counts are stale after a claim or release.
    forget_counts: Callable[[], None]

    async def claim(self, request: Request) -> Response:
        return await self._claim_or_release(request, release=False)

    async def release(self, request: Request) -> Response:
        return await self._claim_or_release(request, release=True)

    async def _claim_or_release(self, request: Request, *, release: bool) -> Response:
        actor = actor_of(request)
        id = submission_id_of(request)
        form = await request.form()
        filters = Filters.of(form)
        action = "review.release" if release else "review.claim"
        try:
            note = await in_thread(self._claim_tx, actor, id, release=release)
        except (ClaimHeld, NotInReview, NotFound) as exc:
            reason = await in_thread(refused, self.session_factory, actor, action, id, exc)
            return message(
                request, 409, "Not yours to take", reason, f"/review/{id}?{filters.query()}"
            )
        return redirect(f"/review/{id}?{filters.query()}&{urlencode({'notice': note})}")

    def _claim_tx(self, actor: Actor, id: uuid.UUID, *, release: bool) -> str:
        assert actor.id is not None
        self.forget_counts()
        with self.session_factory.begin() as session:
            if release:
                done = review_release(session, id=id, reviewer=actor.id)
                if not done:
                    raise NotInReview(f"submission {id}: you hold no claim on it")
                note = "claim released"
                detail: dict[str, Any] = {}
            else:
                at = review_claim(
                    session, id=id, reviewer=actor.id, claim_minutes=self.claim_minutes
                )
                expires = at + timedelta(minutes=self.claim_minutes)
                note = f"claimed until {expires:%H:%M:%S}"
                detail = {"claimedAt": at.isoformat(), "expiresAt": expires.isoformat()}
            audit_append(
                session,
                actor=actor,
                action="review.release" if release else "review.claim",
                target={"submissionIds": [str(id)]},
                outcome="done",
                detail=detail,
            )
        return note

    def routes(self) -> list[Route]:
        return [
            Route("/review/{id}/claim", self.claim, methods=["POST"]),
            Route("/review/{id}/release", self.release, methods=["POST"]),
        ]


def refused(
    session_factory: sessionmaker[Session],
    actor: Actor,
    action: str,
    id: uuid.UUID,
    exc: Exception,
) -> str:
    """The refusal as a reviewer reads it (who holds the item), written to the audit."""
    reason = str(exc)
    with session_factory.begin() as session:
        if isinstance(exc, ClaimHeld):
            holder = emails_of(session, ids={exc.holder}).get(exc.holder, str(exc.holder))
            reason = f"{holder} holds this item (claimed at {exc.since:%H:%M:%S})."
        audit_append(
            session,
            actor=actor,
            action=action,
            target={"submissionIds": [str(id)]},
            outcome="refused",
            detail={"reason": reason},
        )
    return reason
