"""The floor of intake: its four rows by hand, in one statement and one transaction.

What ``db.intake.submit_for_grading`` writes for a new request: the pending submission
(deadline now() + the skill's SLA), its details, the 'submitted' event and the
grading.request outbox row with the payload keys intake writes. No replay lookup and no
checks: the benchmark's requests are all new and valid (answers already as intake stores
them), and the floor is what the database costs.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from domain.sla import DEFAULT_SLA

INSERT_FOUR_ROWS = """
WITH submission AS (
    INSERT INTO submissions (user_id, question_id, skill, status, attempt, request_id, deadline)
    SELECT %(user_id)s, q.id, q.skill, %(status)s, 1, %(request_id)s,
           now() + CASE q.skill WHEN 'listening' THEN %(listening)s
                                WHEN 'reading' THEN %(reading)s
                                WHEN 'writing' THEN %(writing)s
                                ELSE %(speaking)s END
    FROM questions q WHERE q.id = %(question_id)s
    RETURNING id, request_id, user_id, question_id, skill, deadline
), detail AS (
    INSERT INTO submission_details (submission_id, answer)
    SELECT id, %(answer)s FROM submission
), event AS (
    INSERT INTO submission_events (submission_id, kind, data, occurred_at)
    SELECT id, 'submitted',
           jsonb_build_object('requestId', request_id, 'attempt', 1,
                              'traceId', CAST(%(trace_id)s AS text), 'questionId', question_id),
           clock_timestamp()
    FROM submission
)
INSERT INTO outbox (submission_id, aggregate_type, aggregate_id, message_type, payload)
SELECT id, 'submission', id, 'grading.request',
       jsonb_build_object(
           'requestId', request_id, 'submissionId', id, 'userId', user_id, 'skill', skill,
           'attempt', 1,
           'deadline', to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'traceId', CAST(%(trace_id)s AS text))
FROM submission
RETURNING submission_id
"""

_SLA = {f"{skill.value}": span for skill, span in DEFAULT_SLA.items()}


def intake_by_hand(
    conn: psycopg.Connection[Any],
    *,
    user_id: uuid.UUID,
    question_id: uuid.UUID,
    answer: dict[str, Any],
    status: str = "pending",
) -> uuid.UUID:
    """One new request's four rows, committed on return; the submission's id.

    ``status`` "queued" leaves it as if a relay had published it at no cost (a plain loop
    has no relay; the floor then writes a little less than the pipeline does).
    """
    with conn.transaction():
        row = conn.execute(
            INSERT_FOUR_ROWS,
            {
                "user_id": user_id,
                "question_id": question_id,
                "request_id": uuid.uuid4(),
                "trace_id": uuid.uuid4().hex,
                "answer": Jsonb(answer),
                "status": status,
                **_SLA,
            },
        ).fetchone()
    assert row is not None, f"question {question_id} not found"
    submission_id: uuid.UUID = row[0]
    return submission_id
