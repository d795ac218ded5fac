"""What became of a group of learners' answers: statuses, scores, latency, routing, exams.

``make run``'s demo watches its own learners with these while the pipeline works.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from db.statements import Sql, Tx, execute
from domain.enums import ExamStatus, SubmissionStatus
from domain.events import EventKind


@dataclass(frozen=True)
class SubmissionOutcome:
    status: SubmissionStatus
    score: Decimal | None
    # created_at -> completed_at, once completed.
    seconds: float | None


SUBMISSION_OUTCOMES = Sql("""
    SELECT status::text AS status, score,
           extract(epoch FROM completed_at - created_at) AS seconds
    FROM submissions
    WHERE user_id = ANY(%(users)s)
""")

# Where each writing or speaking submission went, from the submissions and their events.
ROUTING_COUNTS = Sql("""
    SELECT route, count(*) AS n FROM (
        SELECT CASE WHEN s.audit_flag THEN 'completed automatically, audit flag'
                    ELSE 'completed automatically' END AS route
        FROM submissions s
        WHERE s.user_id = ANY(%(users)s) AND s.grading_mode = 'auto'
          AND s.skill IN ('writing', 'speaking')
        UNION ALL
        SELECT 'sent to review, priority ' || coalesce(e.data ->> 'priority', '?')
        FROM submission_events e JOIN submissions s ON s.id = e.submission_id
        WHERE s.user_id = ANY(%(users)s) AND e.kind = %(review_requested)s
        UNION ALL
        SELECT 'of which spot checks (confident, sent anyway)'
        FROM submission_events e JOIN submissions s ON s.id = e.submission_id
        WHERE s.user_id = ANY(%(users)s) AND e.kind = %(spot_check)s
        UNION ALL
        SELECT 'reviews done: ' || CASE s.grading_mode::text
            WHEN 'hybrid' THEN 'merged with the AI result (hybrid)'
            ELSE 'the reviewer''s result stands (human)' END
        FROM submissions s
        WHERE s.user_id = ANY(%(users)s) AND s.grading_mode IN ('hybrid', 'human')
        UNION ALL
        SELECT 'waiting for a reviewer now'
        FROM submissions s
        WHERE s.user_id = ANY(%(users)s) AND s.status = 'review_pending'
    ) routes GROUP BY route
""")

EXAM_OUTCOMES = Sql("""
    SELECT status::text AS status, overall_score
    FROM exam_sessions
    WHERE id = ANY(%(sessions)s)
    ORDER BY started_at
""")


def submission_outcomes(tx: Tx, *, user_ids: list[uuid.UUID]) -> list[SubmissionOutcome]:
    return [
        SubmissionOutcome(
            SubmissionStatus(row.status),
            row.score,
            None if row.seconds is None else float(row.seconds),
        )
        for row in execute(tx, SUBMISSION_OUTCOMES, {"users": user_ids})
    ]


def routing_counts(tx: Tx, *, user_ids: list[uuid.UUID]) -> Counter[str]:
    params = {
        "users": user_ids,
        "review_requested": EventKind.REVIEW_REQUESTED.value,
        "spot_check": EventKind.SPOT_CHECK.value,
    }
    return Counter({str(row.route): int(row.n) for row in execute(tx, ROUTING_COUNTS, params)})


def exam_outcomes(
    tx: Tx, *, session_ids: list[uuid.UUID]
) -> list[tuple[ExamStatus, Decimal | None]]:
    """Each session's (status, overall score), in the order they were started."""
    rows = execute(tx, EXAM_OUTCOMES, {"sessions": session_ids})
    return [(ExamStatus(row.status), row.overall_score) for row in rows]
