"""The one path every grading result ends in: a decision applied in one transaction.

``result_lock`` reads the submission under its row lock, ``review_guard`` refuses a
review by anyone but an active member of staff, ``callback_claim`` writes the
inbox row (processed_callbacks) that makes a callback apply once, and
``db.result_apply.result_apply`` carries out ``domain.results.decide``'s decision.
Objective grading, the callback actor and the HTTP endpoint all call these, in that
order, in one transaction of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from db.statements import Sql, Tx, execute
from db.submissions import Step, submission_transition
from domain.enums import GradingMode, Skill, SubmissionStatus, UserRole, VstepBand
from domain.errors import InvalidInput
from domain.events import EventKind
from domain.results import SubmissionState
from domain.review_rules import reviewer_refusal

_S = SubmissionStatus

# The allowed way from each state into processing, where a result is recorded.
PATH_TO_PROCESSING: dict[SubmissionStatus, tuple[SubmissionStatus, ...]] = {
    # The message can outrun the relay's pending -> queued commit.
    _S.PENDING: (_S.QUEUED, _S.PROCESSING),
    _S.QUEUED: (_S.PROCESSING,),
    # Already there (an external grader's submission waits in processing for its result).
    _S.PROCESSING: (),
    _S.ERROR: (_S.RETRYING, _S.PROCESSING),
    _S.RETRYING: (_S.PROCESSING,),
}


@dataclass(frozen=True)
class LockedSubmission:
    id: uuid.UUID
    user_id: uuid.UUID
    skill: Skill
    deleted: bool
    state: SubmissionState
    # The exam session it is a part of, if any: its completion may complete the session.
    exam_session_id: uuid.UUID | None = None


# The submission with what a decision needs, under its row lock. The retry budget spent
# is the one counter the worker's lock reads too (grading_budget_failures, migration 0008).
RESULT_LOCK = Sql("""
    SELECT s.id, s.user_id, s.skill, s.deleted_at, s.status, s.request_id, s.deadline,
           s.grading_mode, s.score, s.band,
           (SELECT max(p.occurred_at) FROM submission_events p
            WHERE p.submission_id = s.id AND p.kind = %(progress)s) AS last_progress_at,
           grading_budget_failures(s.id) AS failures,
           (SELECT x.session_id FROM exam_submissions x WHERE x.submission_id = s.id LIMIT 1)
               AS exam_session_id
    FROM submissions s
    WHERE s.id = %(id)s
    FOR UPDATE OF s
""")


def result_lock(session: Tx, *, submission_id: uuid.UUID) -> LockedSubmission | None:
    """The submission with what a decision needs, its row locked; None if there is none.

    Duplicate deliveries of one result wait here, then see what the first one did.
    """
    params = {"id": submission_id, "progress": EventKind.PROGRESS.value}
    row = execute(session, RESULT_LOCK, params).fetchone()
    if row is None:
        return None
    status = SubmissionStatus(row.status)
    # Only a submission waiting for review holds an AI score to merge with.
    waiting = status == _S.REVIEW_PENDING
    return LockedSubmission(
        id=row.id,
        user_id=row.user_id,
        skill=Skill(row.skill),
        deleted=row.deleted_at is not None,
        state=SubmissionState(
            status=status,
            request_id=row.request_id,
            deadline=row.deadline,
            grading_mode=GradingMode(row.grading_mode) if row.grading_mode else None,
            ai_score=row.score if waiting else None,
            ai_band=VstepBand(row.band) if waiting and row.band else None,
            last_progress_at=row.last_progress_at,
            failures=row.failures,
        ),
        exam_session_id=row.exam_session_id,
    )


# Where a review names its reviewer, as a callback's sender wrote it.
REVIEWER_FIELD = "data.reviewerId"


REVIEWER = Sql("""
    SELECT role, deleted_at FROM users WHERE id = %(id)s
""")


def review_guard(session: Tx, *, reviewer_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    """Refuse a reviewer who is not an active instructor or admin, or who is the
    submission's own learner: InvalidInput on ``data.reviewerId`` saying which.

    Every door a review comes through runs this before anything is written (the result
    path for callbacks, the claim of the review queue), so a refused review leaves no
    trace and a corrected one with the same eventId can still be applied.
    """
    row = execute(session, REVIEWER, {"id": reviewer_id}).fetchone()
    reason = reviewer_refusal(
        reviewer_id,
        role=UserRole(row.role) if row is not None else None,
        deleted=row is not None and row.deleted_at is not None,
        learner_id=learner_id,
    )
    if reason is not None:
        raise InvalidInput(REVIEWER_FIELD, reason)


# The inbox row that makes a callback apply once.
CALLBACK_CLAIM = Sql("""
    INSERT INTO processed_callbacks (event_id, request_id, submission_id)
    VALUES (%(event_id)s, %(request_id)s, %(submission_id)s)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
""")


def callback_claim(
    session: Tx, *, event_id: uuid.UUID, request_id: uuid.UUID, submission_id: uuid.UUID
) -> bool:
    """Record the callback as processed; False when it already was (a replay)."""
    params = {"event_id": event_id, "request_id": request_id, "submission_id": submission_id}
    return execute(session, CALLBACK_CLAIM, params).fetchone() is not None


def advance_to_processing(
    session: Tx, *, id: uuid.UUID, status: SubmissionStatus, data: Mapping[str, Any]
) -> bool:
    """Walk the allowed path into processing; False when there is none (final, in review)."""
    path = PATH_TO_PROCESSING.get(status)
    if path is None:
        return False
    for step in path:
        submission_transition(session, id=id, to=step, data=data)
    return True


def steps_to_processing(status: SubmissionStatus, data: Mapping[str, Any]) -> list[Step]:
    """The steps from ``status`` into processing, each with ``data`` on its event."""
    return [Step(step, data) for step in PATH_TO_PROCESSING.get(status, ())]
