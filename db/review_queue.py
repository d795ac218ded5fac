"""Named statements of reviewers' claims on the review queue (what waits is read in
``db/review_items.py``).

A claim is a lease: ``claimed_by`` / ``claimed_at`` on the submission, taken in one guarded
UPDATE, so two reviewers claiming at once cannot both win (the second waits on the row,
then finds it held). A claim older than the claim window may be taken over. Only staff
may claim (``db.results.review_guard``, the check every review passes). A review's
result goes through the callbacks' one result path (workers/results.py), not from here.

A claim is live while ``claimed_at`` is within :claim_seconds of now; never NULL: a claim
another writer left without claimed_at counts as lapsed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from db.results import review_guard
from db.statements import Sql, execute
from domain.enums import SubmissionStatus
from domain.errors import NotFound, VstepGradingError

_S = SubmissionStatus

LIVE_LEARNER = Sql("SELECT user_id FROM submissions WHERE id = %(id)s AND deleted_at IS NULL")

# The reviewer's own live claim is renewed; a lapsed claim of another is taken over.
CLAIM = Sql(
    """
    UPDATE submissions SET claimed_by = %(reviewer)s, claimed_at = now(), updated_at = now()
    WHERE id = %(id)s AND status = 'review_pending' AND deleted_at IS NULL
      AND (claimed_by = %(reviewer)s OR NOT coalesce(
          claimed_by IS NOT NULL AND claimed_at > now() - make_interval(secs => %(claim_seconds)s),
          false))
    RETURNING claimed_at
    """
)

RELEASE = Sql(
    """
    UPDATE submissions SET claimed_by = NULL, claimed_at = NULL, updated_at = now()
    WHERE id = %(id)s AND status = 'review_pending' AND claimed_by = %(reviewer)s
    RETURNING id
    """
)

CLAIM_STATE = Sql(
    """
    SELECT status, request_id, deleted_at, claimed_by, claimed_at,
           coalesce(claimed_by IS NOT NULL
                    AND claimed_at > now() - make_interval(secs => %(claim_seconds)s), false)
               AS live
    FROM submissions WHERE id = %(id)s
    """
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
class ClaimState:
    status: SubmissionStatus
    request_id: uuid.UUID | None
    claimed_by: uuid.UUID | None
    claimed_at: datetime | None
    # Whether the claim still holds.
    live: bool


def review_claim(
    session: Session, *, id: uuid.UUID, reviewer: uuid.UUID, claim_minutes: float
) -> datetime:
    """Claim a submission in review for ``reviewer``; when the claim was taken.

    The reviewer's own live claim is renewed; a lapsed claim of another is taken over.
    Raises InvalidInput (``reviewer`` may not review it: not staff, or its learner),
    ClaimHeld (someone else holds it), NotInReview or NotFound.
    """
    learner = execute(session, LIVE_LEARNER, {"id": id}).fetchone()
    if learner is None:
        raise NotFound(f"no submission {id}")
    review_guard(session, reviewer_id=reviewer, learner_id=learner.user_id)
    params = {"id": id, "reviewer": reviewer, "claim_seconds": float(claim_minutes) * 60}
    claimed = execute(session, CLAIM, params).fetchone()
    if claimed is not None:
        claimed_at: datetime = claimed.claimed_at
        return claimed_at
    raise _why_not_claimable(session, id=id, claim_minutes=claim_minutes)


def review_release(session: Session, *, id: uuid.UUID, reviewer: uuid.UUID) -> bool:
    """Give back ``reviewer``'s claim on a submission in review; False if not theirs."""
    return execute(session, RELEASE, {"id": id, "reviewer": reviewer}).fetchone() is not None


def review_check_claim(
    session: Session, *, id: uuid.UUID, reviewer: uuid.UUID, claim_minutes: float
) -> None:
    """Refuse a review of a submission another reviewer holds a live claim on."""
    state = _claim_state(session, id=id, claim_minutes=claim_minutes)
    if state.live and state.claimed_by != reviewer:
        raise _held(id, state)


def review_waiting(session: Session, *, id: uuid.UUID, claim_minutes: float) -> uuid.UUID | None:
    """The current request id of a submission waiting for review.

    Raises NotFound (none, or soft-deleted) or NotInReview (it is in another state).
    """
    state = _claim_state(session, id=id, claim_minutes=claim_minutes)
    if state.status != _S.REVIEW_PENDING:
        raise _not_in_review(id, state.status)
    return state.request_id


def _not_in_review(id: uuid.UUID, status: SubmissionStatus) -> NotInReview:
    return NotInReview(f"submission {id} is not waiting for review (status {status.value})")


def _held(id: uuid.UUID, state: ClaimState) -> ClaimHeld:
    assert state.claimed_by is not None and state.claimed_at is not None
    return ClaimHeld(id, state.claimed_by, state.claimed_at)


def _why_not_claimable(
    session: Session, *, id: uuid.UUID, claim_minutes: float
) -> VstepGradingError:
    state = _claim_state(session, id=id, claim_minutes=claim_minutes)
    if state.status != _S.REVIEW_PENDING:
        return _not_in_review(id, state.status)
    return _held(id, state)


def _claim_state(session: Session, *, id: uuid.UUID, claim_minutes: float) -> ClaimState:
    """The submission's status and claim; NotFound for none or a soft-deleted one."""
    params = {"id": id, "claim_seconds": float(claim_minutes) * 60}
    row = execute(session, CLAIM_STATE, params).fetchone()
    if row is None or row.deleted_at is not None:
        raise NotFound(f"no submission {id}")
    return ClaimState(
        SubmissionStatus(row.status), row.request_id, row.claimed_by, row.claimed_at, row.live
    )
