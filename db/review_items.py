"""Named queries of what waits for review: the queue, one item with its timeline, claim
counts (claims themselves are ``db/review_queue.py``'s).

The most urgent first (critical, high, medium, low, then none), then the oldest
submission first; keyset pages carry the last item's (rank, created_at, id). A claim is
live while ``claimed_at`` is within :claim_seconds of now (never NULL: a claim another
writer left without claimed_at counts as lapsed).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from db.custom_plans import plan_each_call
from db.statements import Sql, Tx, execute
from domain.enums import QuestionFormat, ReviewPriority, Skill, SubmissionStatus
from domain.events import TRANSITION_EVENT

# The event of the transition into review_pending.
REVIEW_REQUESTED = TRANSITION_EVENT[SubmissionStatus.REVIEW_PENDING].value
# Most urgent first (the enum's declared order is low .. critical): RANK's order.
PRIORITY_ORDER = (
    ReviewPriority.CRITICAL,
    ReviewPriority.HIGH,
    ReviewPriority.MEDIUM,
    ReviewPriority.LOW,
)

# Waiting for review, every given filter applied (:priority, :skill, :unclaimed,
# :claimed_by: only the live claims of that reviewer; :after_rank..: the keyset).
REVIEW_LIST = Sql(
    """
    SELECT s.id, s.user_id, s.skill, s.review_priority, s.confidence, s.score, s.audit_flag,
           s.claimed_by, s.claimed_at, live.claim_live, s.created_at,
           (SELECT max(e.occurred_at) FROM submission_events e
            WHERE e.submission_id = s.id AND e.kind = %(review_requested)s) AS waiting_since
    FROM submissions s,
         LATERAL (SELECT coalesce(s.claimed_by IS NOT NULL AND s.claimed_at
                                  > now() - make_interval(secs => %(claim_seconds)s), false)
                      AS claim_live,
                         CASE s.review_priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1
                              WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END AS rank) AS live
    WHERE s.status = 'review_pending' AND s.deleted_at IS NULL
      AND (CAST(%(priority)s AS review_priority) IS NULL OR s.review_priority = %(priority)s)
      AND (CAST(%(skill)s AS skill) IS NULL OR s.skill = %(skill)s)
      AND (NOT %(unclaimed)s OR NOT live.claim_live)
      AND (CAST(%(claimed_by)s AS uuid) IS NULL
           OR (s.claimed_by = %(claimed_by)s AND live.claim_live))
      AND (CAST(%(after_rank)s AS integer) IS NULL
           OR (live.rank, s.created_at, s.id) > (%(after_rank)s, %(after_at)s, %(after_id)s))
    ORDER BY live.rank, s.created_at, s.id
    LIMIT %(limit)s
    """
)

# One submission in review with its request id, answer and AI result, and its question.
REVIEW_GET = Sql(
    """
    SELECT s.id, s.user_id, s.skill, s.review_priority, s.confidence, s.score, s.audit_flag,
           s.claimed_by, s.claimed_at,
           coalesce(s.claimed_by IS NOT NULL
                    AND s.claimed_at > now() - make_interval(secs => %(claim_seconds)s), false)
               AS claim_live,
           s.created_at,
           (SELECT max(e.occurred_at) FROM submission_events e
            WHERE e.submission_id = s.id AND e.kind = %(review_requested)s) AS waiting_since,
           s.request_id, d.answer, d.result, q.format, q.content
    FROM submissions s
    LEFT JOIN submission_details d ON d.submission_id = s.id
    JOIN questions q ON q.id = s.question_id
    WHERE s.status = 'review_pending' AND s.deleted_at IS NULL AND s.id = %(id)s
    """
)

EVENTS_OF = Sql(
    """
    SELECT event_id, kind, data, occurred_at FROM submission_events
    WHERE submission_id = %(id)s ORDER BY occurred_at, event_id
    """
)

# Submissions in review with a live claim (:reviewer's only, if given).
CLAIMS_COUNT = Sql(
    """
    SELECT count(*) AS n FROM submissions
    WHERE status = 'review_pending' AND deleted_at IS NULL
      AND coalesce(claimed_by IS NOT NULL
                   AND claimed_at > now() - make_interval(secs => %(claim_seconds)s), false)
      AND (CAST(%(reviewer)s AS uuid) IS NULL OR claimed_by = %(reviewer)s)
    """
)


@dataclass(frozen=True)
class ReviewItem:
    id: uuid.UUID
    user_id: uuid.UUID
    skill: Skill
    priority: ReviewPriority | None
    confidence: int | None
    score: Decimal | None
    audit_flag: bool
    claimed_by: uuid.UUID | None
    claimed_at: datetime | None
    # Whether the claim still holds (a lapsed one may be taken over).
    claim_live: bool
    created_at: datetime
    # When it entered review (its review_pending event).
    waiting_since: datetime | None


@dataclass(frozen=True)
class ReviewEvent:
    event_id: uuid.UUID
    kind: str
    data: dict[str, Any] | None
    occurred_at: datetime


@dataclass(frozen=True)
class ReviewRecord:
    item: ReviewItem
    request_id: uuid.UUID | None
    answer: dict[str, Any] | None
    result: dict[str, Any] | None
    question: dict[str, Any]
    events: list[ReviewEvent]


def priority_rank(priority: ReviewPriority | None) -> int:
    """Where a priority sorts in the queue: 0 is the most urgent."""
    return PRIORITY_ORDER.index(priority) if priority in PRIORITY_ORDER else len(PRIORITY_ORDER)


def review_list(
    session: Tx,
    *,
    priority: ReviewPriority | None,
    unclaimed: bool,
    claim_minutes: float,
    limit: int,
    skill: Skill | None = None,
    claimed_by: uuid.UUID | None = None,
    after: tuple[int, datetime, uuid.UUID] | None = None,
) -> list[ReviewItem]:
    """Waiting for review: the most urgent first, then the oldest submission first.

    ``claimed_by``: only those this reviewer holds a live claim on. ``after``: the
    previous page's last item's (priority rank, created_at, id), for keyset pages.
    """
    plan_each_call(session)
    rank, at, id = after if after is not None else (None, None, None)
    params = {
        "review_requested": REVIEW_REQUESTED,
        "claim_seconds": float(claim_minutes) * 60,
        "priority": priority.value if priority else None,
        "skill": skill.value if skill else None,
        "unclaimed": unclaimed,
        "claimed_by": claimed_by,
        "after_rank": rank,
        "after_at": at,
        "after_id": id,
        "limit": limit,
    }
    return [_item(row) for row in execute(session, REVIEW_LIST, params)]


def review_get(session: Tx, *, id: uuid.UUID, claim_minutes: float) -> ReviewRecord | None:
    """One submission in review with its answer, AI result, question and timeline."""
    params = {
        "id": id,
        "review_requested": REVIEW_REQUESTED,
        "claim_seconds": float(claim_minutes) * 60,
    }
    row = execute(session, REVIEW_GET, params).fetchone()
    if row is None:
        return None
    events = [ReviewEvent(*event) for event in execute(session, EVENTS_OF, {"id": id})]
    return ReviewRecord(
        item=_item(row),
        request_id=row.request_id,
        answer=row.answer,
        result=row.result,
        question={"format": QuestionFormat(row.format).value, "content": row.content},
        events=events,
    )


def review_claims_count(
    session: Tx, *, claim_minutes: float, reviewer: uuid.UUID | None = None
) -> int:
    """How many submissions in review have a live claim (``reviewer``'s only, if given)."""
    params = {"claim_seconds": float(claim_minutes) * 60, "reviewer": reviewer}
    row = execute(session, CLAIMS_COUNT, params).fetchone()
    assert row is not None
    return int(row.n)


# The columns taken as they are; skill and priority become their enums.
_ITEM_COLUMNS = tuple(f.name for f in fields(ReviewItem) if f.name not in {"skill", "priority"})


def _item(row: Any) -> ReviewItem:
    """The item's columns of a REVIEW_LIST or REVIEW_GET row, enums made."""
    return ReviewItem(
        **{name: getattr(row, name) for name in _ITEM_COLUMNS},
        skill=Skill(row.skill),
        priority=ReviewPriority(row.review_priority) if row.review_priority else None,
    )
