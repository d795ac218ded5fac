"""The review workspace: the queue, one item beside the grader's result, and review.

Claims are ``review_claims.py``'s; a review goes through ``review_submit`` (the one
result path, as the signed callback door), recorded under the signed-in reviewer's id.
Every change writes a ``console_audit`` row, refused ones too.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from db.console_audit import Actor, audit_append
from db.console_review import QueueCounts, review_counts
from db.review_items import ReviewItem, priority_rank, review_claims_count, review_get, review_list
from db.review_queue import ClaimHeld, NotInReview
from db.staff import emails_of
from domain.errors import InvalidInput, NotFound
from domain.results import Verdict
from domain.review_descriptors import DESCRIPTORS, criteria_of, overall_of
from workers.console.review_claims import refused
from workers.console.review_forms import (
    Filters,
    copy_signal,
    criterion_score,
    item_after,
    queue_cursor,
    submission_id_of,
)
from workers.console.web import actor_of, in_thread, message, page, redirect, staff_of
from workers.results import CallbackService
from workers.review_submission import review_submit

# Items the queue page lists, and the window next/previous is found in.
QUEUE_PAGE = 100
# Queue counts are read again at most this often, in seconds.
COUNTS_SECONDS = 10.0


@dataclass
class ReviewWorkspace:
    session_factory: sessionmaker[Session]
    callbacks: CallbackService
    claim_minutes: float
    _counts: tuple[float, QueueCounts] | None = field(default=None, repr=False)

    # --- reads ------------------------------------------------------------------------

    def _items(
        self,
        session: Session,
        filters: Filters,
        reviewer: uuid.UUID,
        after: tuple[int, datetime, uuid.UUID] | None = None,
    ) -> list[ReviewItem]:
        return review_list(
            session,
            priority=filters.priority,
            unclaimed=filters.who == "unclaimed",
            claim_minutes=self.claim_minutes,
            limit=QUEUE_PAGE,
            skill=filters.skill,
            claimed_by=reviewer if filters.who == "mine" else None,
            after=after,
        )

    def forget_counts(self) -> None:
        """Read the counts afresh next time: this reviewer's own change shows at once."""
        self._counts = None

    def counts(self, session: Session) -> tuple[QueueCounts, float]:
        """The queue's counts and their age in seconds (cached for COUNTS_SECONDS)."""
        now = time.monotonic()
        if self._counts is None or now - self._counts[0] > COUNTS_SECONDS:
            self._counts = (now, review_counts(session))
        return self._counts[1], now - self._counts[0]

    def _queue(
        self, filters: Filters, reviewer: uuid.UUID, after: tuple[int, datetime, uuid.UUID] | None
    ) -> dict[str, Any]:
        with self.session_factory.begin() as session:
            items = self._items(session, filters, reviewer, after)
            counts, age = self.counts(session)
            holders = emails_of(session, ids={i.claimed_by for i in items if i.claimed_by})
            claimed = review_claims_count(session, claim_minutes=self.claim_minutes)
            mine = review_claims_count(session, claim_minutes=self.claim_minutes, reviewer=reviewer)
        following = None
        if len(items) == QUEUE_PAGE:
            last = items[-1]
            cursor = f"{priority_rank(last.priority)}~{last.created_at.isoformat()}~{last.id}"
            following = "&".join(q for q in (filters.query(), urlencode({"after": cursor})) if q)
        return {
            "next_query": following,
            "claimed": claimed,
            "mine": mine,
            "items": items,
            "counts": counts,
            "counts_age": age,
            "holders": holders,
            "now": datetime.now(UTC),
        }

    def _item(self, id: uuid.UUID, filters: Filters, reviewer: uuid.UUID) -> dict[str, Any]:
        with self.session_factory.begin() as session:
            record = review_get(session, id=id, claim_minutes=self.claim_minutes)
            if record is None:
                raise NotFound(f"submission {id} is not waiting for review")
            ids = [item.id for item in self._items(session, filters, reviewer)]
            holder = record.item.claimed_by
            holders = emails_of(session, ids={holder} if holder else set())
            copy = copy_signal(session, record.result or {}, record.question, record.answer)
        position = ids.index(id) if id in ids else None
        return {
            "record": record,
            "item": record.item,
            "content": record.question["content"],
            "answer": record.answer or {},
            "result": record.result or {},
            "criteria": criteria_of(record.item.skill),
            "descriptors": DESCRIPTORS,
            "holder": holders.get(holder) if holder else None,
            "expires": (
                record.item.claimed_at + timedelta(minutes=self.claim_minutes)
                if record.item.claimed_at
                else None
            ),
            "previous": ids[position - 1] if position else None,
            "next": item_after(ids, position, id),
            "copy": copy,
        }

    # --- pages ------------------------------------------------------------------------

    async def queue(self, request: Request) -> Response:
        staff = staff_of(request)
        filters = Filters.of(request.query_params)
        data = await in_thread(
            self._queue, filters, staff.id, queue_cursor(request.query_params.get("after"))
        )
        return page(request, "review_queue.html", filters=filters, **data)

    async def item(self, request: Request) -> Response:
        staff = staff_of(request)
        filters = Filters.of(request.query_params)
        id = submission_id_of(request)
        try:
            data = await in_thread(self._item, id, filters, staff.id)
        except NotFound as exc:
            return message(request, 404, "Not in review", str(exc), f"/review?{filters.query()}")
        return page(
            request,
            "review_item.html",
            filters=filters,
            notice=request.query_params.get("notice"),
            **data,
        )

    async def submit(self, request: Request) -> Response:
        actor = actor_of(request)
        id = submission_id_of(request)
        form = await request.form()
        filters = Filters.of(form)
        try:
            data = await in_thread(self._review_data, id, form)
            verdict, event_id = await in_thread(
                review_submit,
                self.callbacks,
                self.session_factory,
                submission_id=id,
                reviewer_id=actor.id,
                data=data,
                claim_minutes=self.claim_minutes,
                via="console",
            )
        except (ClaimHeld, NotFound, NotInReview, InvalidInput) as exc:
            reason = await in_thread(refused, self.session_factory, actor, "review.submit", id, exc)
            status = 422 if isinstance(exc, InvalidInput) else 409
            back = f"/review/{id}?{filters.query()}"
            return message(request, status, "Review not taken", reason, back)
        await in_thread(self._audit_review, actor, id, data, verdict.value, event_id)
        if verdict is not Verdict.APPLIED:
            text = (
                f"The result path answered {verdict.value}: the submission no longer "
                "waits for this review."
            )
            return message(request, 409, "Review not applied", text, f"/review?{filters.query()}")
        following = await in_thread(self._next_item, filters, actor, str(form.get("next") or ""))
        if following is not None:
            return redirect(
                f"/review/{following}?{filters.query()}&notice=reviewed+the+previous+item"
            )
        return redirect(f"/review?{filters.query()}")

    def _next_item(self, filters: Filters, actor: Actor, hint: str) -> uuid.UUID | None:
        """The item after the one just reviewed, if it still waits; else the queue's first
        (another reviewer may have taken the one the page had in mind)."""
        assert actor.id is not None
        with self.session_factory.begin() as session:
            ids = [item.id for item in self._items(session, filters, actor.id)]
        return next((i for i in ids if str(i) == hint), ids[0] if ids else None)

    def _review_data(self, id: uuid.UUID, form: Any) -> dict[str, Any]:
        with self.session_factory.begin() as session:
            record = review_get(session, id=id, claim_minutes=self.claim_minutes)
        if record is None:
            raise NotFound(f"submission {id} is not waiting for review")
        scores: dict[str, Decimal | None] = {}
        for name in criteria_of(record.item.skill):
            scores[name] = criterion_score(name, str(form.get(f"c_{name}", "")))
        overall = overall_of(scores)
        if overall is None:
            raise InvalidInput("criteria", "score at least one criterion")
        data: dict[str, Any] = {
            "overallScore": float(overall),
            "criteriaScores": {
                name: {"score": float(v) if v is not None else None} for name, v in scores.items()
            },
        }
        comment = str(form.get("comment", "")).strip()
        if comment:
            data["comment"] = comment
        return data

    def _audit_review(
        self, actor: Actor, id: uuid.UUID, data: dict[str, Any], verdict: str, event_id: str
    ) -> None:
        self.forget_counts()
        with self.session_factory.begin() as session:
            audit_append(
                session,
                actor=actor,
                action="review.submit",
                target={"submissionIds": [str(id)]},
                preview={"review": data},
                outcome="done" if verdict == "applied" else verdict,
                detail={"verdict": verdict, "eventId": event_id},
            )

    def routes(self) -> list[Route]:
        return [
            Route("/review", self.queue, methods=["GET"]),
            Route("/review/{id}", self.item, methods=["GET"]),
            Route("/review/{id}/submit", self.submit, methods=["POST"]),
        ]
