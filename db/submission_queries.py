"""Operators' read-only named queries on submissions: one with its timeline, or a filtered list.

The pipeline's writes (transitions, events) are in ``db/submissions.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from db.callbacks import CallbackRecord, callbacks_list
from db.statements import Sql, Tx, execute
from db.submissions import EventRecord, submission_events_recent
from domain.enums import GradingMode, ReviewPriority, Skill, SubmissionStatus, VstepBand


@dataclass(frozen=True)
class SubmissionRow:
    """A submissions row; the fields in the table's column order."""

    id: uuid.UUID
    user_id: uuid.UUID
    question_id: uuid.UUID
    skill: Skill
    status: SubmissionStatus
    score: Decimal | None
    band: VstepBand | None
    confidence: int | None
    is_late: bool | None
    attempt: int
    request_id: uuid.UUID | None
    review_priority: ReviewPriority | None
    reviewer_id: uuid.UUID | None
    grading_mode: GradingMode | None
    audit_flag: bool
    claimed_by: uuid.UUID | None
    claimed_at: datetime | None
    deadline: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> SubmissionRow:
        """From the columns by name, enums as the domain's."""

        def optional(enum: Any, name: str) -> Any:
            return None if fields[name] is None else enum(fields[name])

        return cls(
            **{
                **fields,
                "skill": Skill(fields["skill"]),
                "status": SubmissionStatus(fields["status"]),
                "band": optional(VstepBand, "band"),
                "review_priority": optional(ReviewPriority, "review_priority"),
                "grading_mode": optional(GradingMode, "grading_mode"),
            }
        )


@dataclass(frozen=True)
class SubmissionRecord:
    """A submission, its grading result (None until graded) and its events, oldest first."""

    submission: SubmissionRow
    result: dict[str, Any] | None
    events: list[EventRecord]
    callbacks: list[CallbackRecord]


SUBMISSION_GET = Sql("""
    SELECT s.id, s.user_id, s.question_id, s.skill, s.status, s.score, s.band, s.confidence,
           s.is_late, s.attempt, s.request_id, s.review_priority, s.reviewer_id,
           s.grading_mode, s.audit_flag, s.claimed_by, s.claimed_at, s.deadline,
           s.completed_at, s.created_at, s.updated_at, s.deleted_at, d.result
    FROM submissions s LEFT JOIN submission_details d ON d.submission_id = s.id
    WHERE s.id = %(id)s
""")
# Live ones only unless ``include_deleted``; every other filter is optional (NULL: any).
SUBMISSION_LIST = Sql("""
    SELECT id, user_id, question_id, skill, status, score, band, confidence, is_late,
           attempt, request_id, review_priority, reviewer_id, grading_mode, audit_flag,
           claimed_by, claimed_at, deadline, completed_at, created_at, updated_at, deleted_at
    FROM submissions
    WHERE (CAST(%(include_deleted)s AS boolean) OR deleted_at IS NULL)
      AND (CAST(%(status)s AS submission_status) IS NULL OR status = %(status)s)
      AND (CAST(%(user_id)s AS uuid) IS NULL OR user_id = %(user_id)s)
      AND (CAST(%(skill)s AS skill) IS NULL OR skill = %(skill)s)
    ORDER BY created_at DESC, id
    LIMIT %(limit)s
""")


def submission_get(session: Tx, *, id: uuid.UUID) -> SubmissionRecord | None:
    """The submission ``id``, soft-deleted or not, with its whole event log; None if absent."""
    row = execute(session, SUBMISSION_GET, {"id": id}).fetchone()
    if row is None:
        return None
    fields = row._asdict()
    result = fields.pop("result")
    return SubmissionRecord(
        submission=SubmissionRow.of(fields),
        result=result,
        events=submission_events_recent(session, submission_id=id, limit=None),
        callbacks=callbacks_list(session, submission_id=id, limit=1000),
    )


def submission_list(
    session: Tx,
    *,
    status: SubmissionStatus | None = None,
    user_id: uuid.UUID | None = None,
    skill: Skill | None = None,
    include_deleted: bool = False,
    limit: int = 50,
) -> list[SubmissionRow]:
    """Submissions newest first, live ones only unless ``include_deleted``, each filter ANDed."""
    params = {
        "include_deleted": include_deleted,
        "status": status.value if status is not None else None,
        "user_id": user_id,
        "skill": skill.value if skill is not None else None,
        "limit": limit,
    }
    return [SubmissionRow.of(row._asdict()) for row in execute(session, SUBMISSION_LIST, params)]
