"""grading.request outbox rows: written at intake, on a redispatch, on an operator's retry.

Every dispatch of a submission is an outbox row in the caller's transaction, with the
state change and the event that explain it, so a dispatch is never lost nor unexplained.
The payload is always built by the database's ``grading_request_payload`` (migration
0007) from the submission row, the system of record: the one builder intake uses too.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from db.statements import Sql, Tx, execute
from domain.errors import NotFound
from domain.messages import GradingRequest, parse_grading_request

REDISPATCH = Sql("""
    INSERT INTO outbox (id, submission_id, aggregate_type, aggregate_id, message_type, payload)
    SELECT %(outbox_id)s, s.id, 'submission', s.id, 'grading.request',
           grading_request_payload(s.id, NULL, CAST(%(not_before)s AS timestamptz))
    FROM submissions s
    WHERE s.id = %(submission_id)s
    RETURNING id
""")
REQUEST_OF = Sql("""
    SELECT grading_request_payload(%(submission_id)s) AS payload
""")


def grading_request_of(session: Tx, *, submission_id: uuid.UUID) -> GradingRequest:
    """The request as the submission row has it now, with the trace id intake gave it.

    A submission written outside the contract may lack a deadline or a request id; its
    creation time and its own id stand in, so the message still validates.
    """
    row = execute(session, REQUEST_OF, {"submission_id": submission_id}).fetchone()
    if row is None or row.payload is None:
        raise NotFound(f"no submission {submission_id}")
    return parse_grading_request(row.payload)


def submission_redispatch(
    session: Tx,
    *,
    submission_id: uuid.UUID,
    outbox_id: uuid.UUID | None = None,
    not_before: datetime | None = None,
) -> uuid.UUID:
    """A new grading.request row for the submission's current request; the outbox id.

    ``not_before`` (a retry's backoff) travels in the payload; the relay has the broker
    hold the message until then.
    """
    row = execute(
        session,
        REDISPATCH,
        {
            "outbox_id": outbox_id or uuid.uuid4(),
            "submission_id": submission_id,
            "not_before": not_before,
        },
    ).fetchone()
    if row is None:
        raise NotFound(f"no submission {submission_id}")
    inserted: uuid.UUID = row.id
    return inserted
