"""Named queries of the review queue: submissions waiting for a person, and reviewers' claims.

A claim is a lease: ``claimed_by`` / ``claimed_at`` on the submission, taken in one guarded
UPDATE, so two reviewers claiming at once cannot both win (the second waits on the row,
then finds it held). A claim older than the claim window may be taken over. Only staff
may claim (``db.results.review_guard``, the check every review passes). A review's
result goes through the callbacks' one result path (workers/results.py), not from here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Question, Submission, SubmissionDetail, SubmissionEvent
from db.results import review_guard
from domain.enums import ReviewPriority, Skill, SubmissionStatus
from domain.errors import NotFound, VstepGradingError
from domain.events import TRANSITION_EVENT

_S = SubmissionStatus
# The event of the transition into review_pending.
REVIEW_REQUESTED = TRANSITION_EVENT[_S.REVIEW_PENDING]
# Most urgent first (the enum's declared order is low .. critical).
PRIORITY_ORDER = (
    ReviewPriority.CRITICAL,
    ReviewPriority.HIGH,
    ReviewPriority.MEDIUM,
    ReviewPriority.LOW,
)


class ClaimHeld(VstepGradingError):
    """Another reviewer holds a live claim on the submission."""

    def __init__(self, submission_id: uuid.UUID, holder: uuid.UUID, since: datetime) -> None:
        self.holder = holder
        self.since = since
        super().__init__(
            f"submission {submission_id} is claimed by {holder} since {since.isoformat()}"
        )


class NotInReview(VstepGradingError):
    """The submission is not waiting for review."""


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
class ReviewRecord:
    item: ReviewItem
    request_id: uuid.UUID | None
    answer: dict[str, Any] | None
    result: dict[str, Any] | None
    question: dict[str, Any]
    events: list[SubmissionEvent]


def _claim_live(minutes: float) -> sa.ColumnElement[bool]:
    # Never NULL: a claim another writer left without claimed_at counts as lapsed.
    window = sa.func.make_interval(0, 0, 0, 0, 0, 0, float(minutes) * 60)
    return sa.func.coalesce(
        sa.and_(
            Submission.claimed_by.is_not(None),
            Submission.claimed_at > sa.func.now() - window,
        ),
        sa.false(),
    )


def priority_rank(priority: ReviewPriority | None) -> int:
    """Where a priority sorts in the queue: 0 is the most urgent."""
    return PRIORITY_ORDER.index(priority) if priority in PRIORITY_ORDER else len(PRIORITY_ORDER)


def _priority_rank() -> sa.ColumnElement[int]:
    return sa.case(
        *((Submission.review_priority == p, rank) for rank, p in enumerate(PRIORITY_ORDER)),
        else_=len(PRIORITY_ORDER),
    )


def _items_query(claim_minutes: float) -> Any:
    entered = (
        sa.select(sa.func.max(SubmissionEvent.occurred_at))
        .where(SubmissionEvent.submission_id == Submission.id)
        .where(SubmissionEvent.kind == REVIEW_REQUESTED)
        .scalar_subquery()
    )
    return sa.select(
        Submission.id,
        Submission.user_id,
        Submission.skill,
        Submission.review_priority,
        Submission.confidence,
        Submission.score,
        Submission.audit_flag,
        Submission.claimed_by,
        Submission.claimed_at,
        _claim_live(claim_minutes).label("claim_live"),
        Submission.created_at,
        entered.label("waiting_since"),
    ).where(Submission.status == _S.REVIEW_PENDING, Submission.deleted_at.is_(None))


def _item(row: Any) -> ReviewItem:
    return ReviewItem(
        id=row.id,
        user_id=row.user_id,
        skill=row.skill,
        priority=row.review_priority,
        confidence=row.confidence,
        score=row.score,
        audit_flag=row.audit_flag,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        claim_live=bool(row.claim_live),
        created_at=row.created_at,
        waiting_since=row.waiting_since,
    )


def review_list(
    session: Session,
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
    query = _items_query(claim_minutes)
    if after is not None:
        query = query.where(
            sa.tuple_(_priority_rank(), Submission.created_at, Submission.id)
            > sa.tuple_(sa.literal(after[0]), after[1], after[2])
        )
    if priority is not None:
        query = query.where(Submission.review_priority == priority)
    if skill is not None:
        query = query.where(Submission.skill == skill)
    if unclaimed:
        query = query.where(sa.not_(_claim_live(claim_minutes)))
    if claimed_by is not None:
        query = query.where(Submission.claimed_by == claimed_by, _claim_live(claim_minutes))
    query = query.order_by(_priority_rank(), Submission.created_at, Submission.id).limit(limit)
    return [_item(row) for row in session.execute(query)]


def review_get(session: Session, *, id: uuid.UUID, claim_minutes: float) -> ReviewRecord | None:
    """One submission in review with its answer, AI result, question and timeline."""
    row = session.execute(
        _items_query(claim_minutes)
        .add_columns(Submission.request_id, SubmissionDetail.answer, SubmissionDetail.result)
        .outerjoin(SubmissionDetail, SubmissionDetail.submission_id == Submission.id)
        .where(Submission.id == id)
    ).one_or_none()
    if row is None:
        return None
    question = session.execute(
        sa.select(Question.format, Question.content)
        .join(Submission, Submission.question_id == Question.id)
        .where(Submission.id == id)
    ).one()
    events = list(
        session.scalars(
            sa.select(SubmissionEvent)
            .where(SubmissionEvent.submission_id == id)
            .order_by(SubmissionEvent.occurred_at, SubmissionEvent.event_id)
        )
    )
    return ReviewRecord(
        item=_item(row),
        request_id=row.request_id,
        answer=row.answer,
        result=row.result,
        question={"format": question.format.value, "content": question.content},
        events=events,
    )


def review_claim(
    session: Session, *, id: uuid.UUID, reviewer: uuid.UUID, claim_minutes: float
) -> datetime:
    """Claim a submission in review for ``reviewer``; when the claim was taken.

    The reviewer's own live claim is renewed; a lapsed claim of another is taken over.
    Raises InvalidInput (``reviewer`` may not review it: not staff, or its learner),
    ClaimHeld (someone else holds it), NotInReview or NotFound.
    """
    learner = session.execute(
        sa.select(Submission.user_id).where(Submission.id == id, Submission.deleted_at.is_(None))
    ).scalar_one_or_none()
    if learner is None:
        raise NotFound(f"no submission {id}")
    review_guard(session, reviewer_id=reviewer, learner_id=learner)
    claimed_at = session.execute(
        sa.update(Submission)
        .where(
            Submission.id == id,
            Submission.status == _S.REVIEW_PENDING,
            Submission.deleted_at.is_(None),
            sa.or_(Submission.claimed_by == reviewer, sa.not_(_claim_live(claim_minutes))),
        )
        .values(claimed_by=reviewer, claimed_at=sa.func.now(), updated_at=sa.func.now())
        .returning(Submission.claimed_at)
    ).scalar_one_or_none()
    if claimed_at is not None:
        return claimed_at
    raise _why_not_claimable(session, id=id, claim_minutes=claim_minutes)


def review_claims_count(
    session: Session, *, claim_minutes: float, reviewer: uuid.UUID | None = None
) -> int:
    """How many submissions in review have a live claim (``reviewer``'s only, if given)."""
    query = sa.select(sa.func.count()).where(
        Submission.status == _S.REVIEW_PENDING,
        Submission.deleted_at.is_(None),
        _claim_live(claim_minutes),
    )
    if reviewer is not None:
        query = query.where(Submission.claimed_by == reviewer)
    return int(session.execute(query).scalar_one())


def review_release(session: Session, *, id: uuid.UUID, reviewer: uuid.UUID) -> bool:
    """Give back ``reviewer``'s claim on a submission in review; False if not theirs."""
    released = session.execute(
        sa.update(Submission)
        .where(
            Submission.id == id,
            Submission.status == _S.REVIEW_PENDING,
            Submission.claimed_by == reviewer,
        )
        .values(claimed_by=None, claimed_at=None, updated_at=sa.func.now())
        .returning(Submission.id)
    ).first()
    return released is not None


def review_check_claim(
    session: Session, *, id: uuid.UUID, reviewer: uuid.UUID, claim_minutes: float
) -> None:
    """Refuse a review of a submission another reviewer holds a live claim on."""
    row = _claim_state(session, id=id, claim_minutes=claim_minutes)
    if row.live and row.claimed_by != reviewer:
        raise ClaimHeld(id, row.claimed_by, row.claimed_at)


def review_waiting(session: Session, *, id: uuid.UUID, claim_minutes: float) -> uuid.UUID | None:
    """The current request id of a submission waiting for review.

    Raises NotFound (none, or soft-deleted) or NotInReview (it is in another state).
    """
    row = _claim_state(session, id=id, claim_minutes=claim_minutes)
    if row.status != _S.REVIEW_PENDING:
        raise _not_in_review(id, row.status)
    request_id: uuid.UUID | None = row.request_id
    return request_id


def _not_in_review(id: uuid.UUID, status: SubmissionStatus) -> NotInReview:
    return NotInReview(f"submission {id} is not waiting for review (status {status.value})")


def _why_not_claimable(
    session: Session, *, id: uuid.UUID, claim_minutes: float
) -> VstepGradingError:
    row = _claim_state(session, id=id, claim_minutes=claim_minutes)
    if row.status != _S.REVIEW_PENDING:
        return _not_in_review(id, row.status)
    return ClaimHeld(id, row.claimed_by, row.claimed_at)


def _claim_state(session: Session, *, id: uuid.UUID, claim_minutes: float) -> Any:
    """The submission's status and claim; NotFound for none or a soft-deleted one."""
    row = session.execute(
        sa.select(
            Submission.status,
            Submission.request_id,
            Submission.deleted_at,
            Submission.claimed_by,
            Submission.claimed_at,
            _claim_live(claim_minutes).label("live"),
        ).where(Submission.id == id)
    ).one_or_none()
    if row is None or row.deleted_at is not None:
        raise NotFound(f"no submission {id}")
    return row
