"""Named queries of the outbox relay: claim, mark, release, rescue.

Every write after the claim is guarded by ``locked_by``: a relay that lost its lease
(it stalled past OUTBOX_LEASE_SECONDS and another relay took the row) must not
overwrite the other relay's work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.statements import Sql, Tx, execute
from domain.enums import OutboxStatus, Skill, SubmissionStatus
from domain.events import TRANSITION_EVENT
from domain.states import allowed_sources, outbox_can_transition

_P = OutboxStatus

# The statuses below are written into the texts (the partial index on pending rows serves
# only a literal), and every move they make is one the state map allows:
assert outbox_can_transition(_P.PENDING, _P.PROCESSING)  # OUTBOX_CLAIM
assert outbox_can_transition(_P.PROCESSING, _P.PUBLISHED)  # OUTBOX_MARK_AND_QUEUE
assert outbox_can_transition(_P.PROCESSING, _P.PENDING)  # OUTBOX_RELEASE, OUTBOX_RESCUE
assert outbox_can_transition(_P.PROCESSING, _P.FAILED)  # OUTBOX_RELEASE


@dataclass(frozen=True)
class SubmissionFacts:
    """What the submission row says, for checking a payload against it."""

    request_id: uuid.UUID | None
    user_id: uuid.UUID
    skill: Skill
    question_skill: Skill


@dataclass(frozen=True)
class ClaimedRow:
    id: uuid.UUID
    submission_id: uuid.UUID
    message_type: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    submission: SubmissionFacts

    @classmethod
    def from_row(cls, row: Any) -> ClaimedRow:
        """From a row (named fields) with the outbox columns and the submission's
        request_id, user_id, skill and question_skill."""
        return cls(
            id=row.id,
            submission_id=row.submission_id,
            message_type=row.message_type,
            payload=row.payload,
            attempts=row.attempts,
            created_at=row.created_at,
            submission=SubmissionFacts(
                request_id=row.request_id,
                user_id=row.user_id,
                skill=Skill(row.skill),
                question_skill=Skill(row.question_skill),
            ),
        )


@dataclass(frozen=True)
class PublishFailure:
    id: uuid.UUID
    error: str
    # Poison (no route, invalid payload) fails at once; a broker error backs off.
    permanent: bool


# The claim and the mark run on every pass, for every row: fixed SQL texts (psycopg
# prepares them), since SQLAlchemy building the statements and wrapping their rows
# cost more than PostgreSQL running them.
OUTBOX_CLAIM = Sql("""
    UPDATE outbox o
    SET status = 'processing', locked_at = coalesce(CAST(%(now)s AS timestamptz), now()),
        locked_by = %(relay_id)s, attempts = o.attempts + 1
    FROM submissions s JOIN questions q ON q.id = s.question_id
    WHERE o.id IN (
            SELECT c.id FROM outbox c
            WHERE c.status = 'pending'
              AND (c.locked_at IS NULL
                   OR c.locked_at + make_interval(secs => least(
                          CAST(%(cap)s AS double precision),
                          CAST(%(base)s AS double precision)
                          * power(2, greatest(c.attempts - 1, 0))))
                      <= coalesce(CAST(%(now)s AS timestamptz), now()))
            ORDER BY c.created_at
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        )
      AND s.id = o.submission_id
    RETURNING o.id, o.submission_id, o.message_type, o.payload, o.attempts, o.created_at,
              s.request_id, s.user_id, s.skill, q.skill AS question_skill
""")


def outbox_claim_batch(
    session: Tx,
    *,
    relay_id: str,
    limit: int,
    backoff_base_seconds: float,
    backoff_cap_seconds: float,
    now: datetime | None = None,
) -> list[ClaimedRow]:
    """Lease up to ``limit`` pending rows, oldest first, skipping rows other relays hold.

    A row that failed to publish waits ``min(cap, base * 2^(attempts-1))`` seconds after
    its last try (``locked_at``) before it is claimed again.
    """
    result = execute(
        session,
        OUTBOX_CLAIM,
        {
            "now": now,
            "relay_id": relay_id,
            "limit": limit,
            "base": float(backoff_base_seconds),
            "cap": float(backoff_cap_seconds),
        },
    )
    rows = [ClaimedRow.from_row(row) for row in result.fetchall()]
    rows.sort(key=lambda row: row.created_at)
    return rows


# The submission moves into queued as the state map allows, with its transition's event.
_QUEUED = {
    "queued_from": sorted(source.value for source in allowed_sources(SubmissionStatus.QUEUED)),
    "queued_kind": str(TRANSITION_EVENT[SubmissionStatus.QUEUED]),
}
OUTBOX_MARK_AND_QUEUE = Sql("""
    WITH marked AS (
        UPDATE outbox
        SET status = 'published',
            published_at = coalesce(CAST(%(now)s AS timestamptz), now()),
            error_message = NULL
        -- = ANY(array): one parameter and one plan, whatever the batch size.
        WHERE id = ANY(CAST(%(ids)s AS uuid[])) AND status = 'processing'
          AND locked_by = %(relay_id)s
        -- The jsonb value as the payload holds it (a string, a number or null).
        RETURNING id, submission_id, payload -> 'traceId' AS trace_id
    ),
    moved AS (
        UPDATE submissions s SET status = 'queued', updated_at = now()
        FROM marked
        WHERE s.id = marked.submission_id
          AND s.status = ANY(CAST(%(queued_from)s AS submission_status[]))
        RETURNING s.id, marked.id AS outbox_id, marked.trace_id
    ),
    events AS (
        INSERT INTO submission_events (submission_id, kind, data, occurred_at)
        SELECT id, CAST(%(queued_kind)s AS text),
               jsonb_build_object('outboxId', outbox_id::text, 'messageId', outbox_id::text,
                                  'relayId', CAST(%(relay_id)s AS text), 'traceId', trace_id),
               clock_timestamp()
        FROM moved
    )
    SELECT id, submission_id FROM marked
""")
assert SubmissionStatus.QUEUED.value == "queued"


def outbox_mark_published_and_queue(
    session: Tx, *, relay_id: str, ids: Sequence[uuid.UUID], now: datetime | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """In ONE statement: mark rows published where this relay still holds them, move their
    submissions pending -> queued and append to each one moved its 'queued' event.

    The guards of a mark (processing -> published, ``locked_by`` still this relay) and of
    the transition (``allowed_sources(QUEUED)``), and the event data the relay always
    wrote, in one round trip. Returns (outbox id, submission id) of the rows marked.
    """
    if not ids:
        return []
    result = execute(
        session,
        OUTBOX_MARK_AND_QUEUE,
        {"ids": list(ids), "relay_id": relay_id, "now": now, **_QUEUED},
    )
    return [(row.id, row.submission_id) for row in result.fetchall()]


# Poison rows and rows out of attempts fail; the others wait for their backoff.
OUTBOX_RELEASE = Sql("""
    UPDATE outbox o
    SET status = CASE WHEN f.permanent OR o.attempts >= %(max_attempts)s
                      THEN CAST('failed' AS outbox_status)
                      ELSE CAST('pending' AS outbox_status) END,
        error_message = f.error, locked_by = NULL
    FROM unnest(CAST(%(ids)s AS uuid[]), CAST(%(errors)s AS text[]),
                CAST(%(permanent)s AS boolean[])) AS f(id, error, permanent)
    WHERE o.id = f.id AND o.status = 'processing' AND o.locked_by = %(relay_id)s
    RETURNING o.id, o.submission_id, o.status, o.attempts
""")


def outbox_release_failed(
    session: Tx, *, relay_id: str, failures: Sequence[PublishFailure], max_attempts: int
) -> list[tuple[uuid.UUID, uuid.UUID, OutboxStatus, int]]:
    """Put rows that did not publish back to pending (backoff) or fail them.

    Poison rows and rows out of attempts become ``failed``. ``locked_at`` stays as the
    time of the try, which the backoff counts from. Returns (id, submission id, status,
    attempts) of the rows this relay still held, in the order of ``failures``.
    """
    if not failures:
        return []
    params = {
        "ids": [failure.id for failure in failures],
        "errors": [failure.error for failure in failures],
        "permanent": [failure.permanent for failure in failures],
        "relay_id": relay_id,
        "max_attempts": max_attempts,
    }
    rows = {row.id: row for row in execute(session, OUTBOX_RELEASE, params)}
    order = [failure.id for failure in failures if failure.id in rows]
    return [
        (id_, rows[id_].submission_id, OutboxStatus(rows[id_].status), rows[id_].attempts)
        for id_ in dict.fromkeys(order)
    ]


# Rows held past the lease, or with no lease time at all; the sub-select keeps who held
# each one (an UPDATE's RETURNING sees only the new values).
OUTBOX_RESCUE = Sql("""
    WITH expired AS (
        SELECT id, locked_by FROM outbox
        WHERE status = 'processing'
          AND (locked_at IS NULL
               OR locked_at < coalesce(CAST(%(now)s AS timestamptz), now())
                              - make_interval(secs => CAST(%(lease)s AS double precision)))
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox o
    SET status = 'pending', locked_by = NULL,
        error_message = concat('lease expired: relay ', coalesce(expired.locked_by, '?'),
                               ' held the row past ', CAST(%(lease_text)s AS text), ' s')
    FROM expired
    WHERE o.id = expired.id
    RETURNING o.id, expired.locked_by
""")


def outbox_rescue_expired(
    session: Tx, *, lease_seconds: float, now: datetime | None = None
) -> list[tuple[uuid.UUID, str | None]]:
    """Take back rows held past the lease (their relay died) or with no lease time at all
    (written so by hand or by another tool); returns (id, the relay that held it).

    The one query for it, whoever calls it: every relay pass and the scheduler's leases duty.
    """
    params = {"now": now, "lease": float(lease_seconds), "lease_text": str(lease_seconds)}
    return [(row.id, row.locked_by) for row in execute(session, OUTBOX_RESCUE, params)]
