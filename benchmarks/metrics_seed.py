"""A year of grading history in bulk SQL, for benchmarks/metrics_scrape.py.

One ``INSERT ... SELECT FROM generate_series`` per table, with the secondary indexes
dropped during the load and built again after it from their own definitions (read from
``pg_indexes`` first, so they are the migrations' indexes exactly), then ``VACUUM
ANALYZE`` as autovacuum would leave a table of that age. Triggers and foreign-key checks
are off while loading (``session_replication_role = replica``): every row is made
consistent by construction.

The shape: ``submissions`` spread over 365 days, most completed, 1% failed, 0.3% waiting
for a review, 0.2% soft-deleted, and the latest few thousand still in flight (pending,
queued, processing, retrying); ``events_per_submission`` events each; a published
outbox row for the last 7 days' submissions (retention keeps that much), a pending one
for each pending submission and a few failed; a processed callback for the last 30
days' writing and speaking submissions.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

# Tables whose plain indexes are dropped for the load and built after it.
LOADED_TABLES = ("submissions", "submission_events", "outbox", "processed_callbacks")
LEARNERS = 100_000
QUESTIONS = 100
# The newest submissions are still being graded; this many of them.
IN_FLIGHT = 4_000

# A sequential uuid from a number (and a tag in its first digit), so primary keys are
# appended in order while loading and rows can name each other's ids by number.
UUID_OF = "lpad(to_hex({tag}::bigint * 1000000000000 + ({n})), 32, '0')::uuid"


def _uuid(tag: int, n: str) -> str:
    return UUID_OF.format(tag=tag, n=n)


SUBMISSION_ID = _uuid(1, "n")
# A position in 0..9999 that spreads each status over the whole year.
SPREAD = "((n * 7919) % 10000)"
CREATED_AT = "now() - make_interval(secs => (:total - n) * (365 * 86400.0 / :total))"

STATUS = f"""
    CASE
        WHEN n > :total - :in_flight THEN (ARRAY['pending', 'queued', 'queued', 'processing',
            'processing', 'processing', 'retrying', 'queued'])[1 + n % 8]
        WHEN {SPREAD} < 100 THEN 'failed'
        WHEN {SPREAD} < 130 THEN 'review_pending'
        ELSE 'completed'
    END
"""

SEED_USERS = f"""
INSERT INTO users (id, email, password_hash, created_at, updated_at)
SELECT {_uuid(2, "k")}, 'learner' || k || '@bench.invalid', 'x', now(), now()
FROM generate_series(1, {LEARNERS}) AS k
"""

SEED_QUESTIONS = f"""
INSERT INTO questions (id, skill, level, format, content, answer_key)
SELECT {_uuid(3, "k")},
       (ARRAY['listening', 'reading', 'writing', 'speaking'])[1 + k % 4]::skill,
       'B1',
       (ARRAY['listening_mcq', 'reading_mcq', 'writing_task_2', 'speaking_part_1'])[1 + k % 4]
           ::question_format,
       '{{}}'::jsonb, NULL
FROM generate_series(0, {QUESTIONS - 1}) AS k
"""

SEED_SUBMISSIONS = f"""
INSERT INTO submissions (id, user_id, question_id, skill, status, score, confidence,
                         request_id, review_priority, deadline, created_at, updated_at,
                         completed_at, deleted_at)
SELECT {SUBMISSION_ID},
       {_uuid(2, "1 + n % " + str(LEARNERS))},
       {_uuid(3, "n % " + str(QUESTIONS))},
       (ARRAY['listening', 'reading', 'writing', 'speaking'])[1 + n % 4]::skill,
       status::submission_status,
       CASE WHEN status = 'completed' THEN (n % 101) / 10.0 END,
       CASE WHEN status IN ('completed', 'review_pending') THEN 50 + n % 50 END,
       {_uuid(4, "n")},
       CASE WHEN status = 'review_pending'
            THEN (ARRAY['low', 'medium', 'high', 'critical'])[1 + n % 4]::review_priority END,
       created_at + interval '20 minutes',
       created_at, created_at,
       CASE WHEN status = 'completed' THEN created_at + make_interval(secs => 1 + n % 900) END,
       CASE WHEN {SPREAD} >= 9980 AND n <= :total - :in_flight THEN created_at + interval '1 day'
       END
FROM (
    SELECT n, {CREATED_AT} AS created_at, {STATUS} AS status
    FROM generate_series(1::bigint, :total) AS n
) AS planned
"""

EVENT_KINDS = (
    "submitted",
    "queued",
    "processing",
    "progress",
    "progress",
    "progress",
    "progress",
    "retrying",
    "processing",
    "completed",
)

SEED_EVENTS = f"""
INSERT INTO submission_events (event_id, submission_id, kind, occurred_at, data)
SELECT {_uuid(5, "(n - 1) * :per + k")},
       {SUBMISSION_ID},
       (ARRAY[{", ".join(f"'{kind}'" for kind in EVENT_KINDS)}])[1 + (k - 1) % {len(EVENT_KINDS)}],
       {CREATED_AT} + make_interval(secs => k),
       CASE WHEN k % 3 = 0 THEN jsonb_build_object('progress', k / 10.0) END
FROM generate_series(1::bigint, :total) AS n, generate_series(1, :per) AS k
"""

SEED_OUTBOX = f"""
INSERT INTO outbox (id, submission_id, aggregate_type, aggregate_id, message_type, payload,
                    status, attempts, error_message, locked_at, published_at, created_at)
SELECT {_uuid(6, "n")}, s.id, 'submission', s.id, 'grading.request',
       jsonb_build_object('requestId', s.request_id, 'submissionId', s.id),
       (CASE WHEN s.status = 'pending' THEN 'pending'
             WHEN n % 7717 = 0 THEN 'failed'
             ELSE 'published' END)::outbox_status,
       CASE WHEN s.status = 'pending' THEN 0 ELSE 1 END,
       NULL,
       CASE WHEN s.status = 'pending' THEN NULL ELSE s.created_at END,
       CASE WHEN s.status = 'pending' THEN NULL ELSE s.created_at END,
       s.created_at
FROM (
    SELECT n, {SUBMISSION_ID} AS id FROM generate_series(1::bigint, :total) AS n
    WHERE n > :total - :total * 7 / 365
) AS recent
JOIN submissions AS s USING (id)
"""

SEED_CALLBACKS = f"""
INSERT INTO processed_callbacks (event_id, request_id, submission_id, processed_at)
SELECT {_uuid(7, "n")}, s.request_id, s.id, coalesce(s.completed_at, s.created_at)
FROM (
    SELECT n, {SUBMISSION_ID} AS id FROM generate_series(1::bigint, :total) AS n
    WHERE n > :total - :total * 30 / 365 AND n % 4 IN (2, 3)
) AS recent
JOIN submissions AS s USING (id)
"""

# Plain (not constraint-backed) indexes of the loaded tables, with their definitions.
PLAIN_INDEXES = """
SELECT i.indexname, i.indexdef
FROM pg_indexes AS i
JOIN pg_class AS c ON c.relname = i.indexname
JOIN pg_namespace AS ns ON ns.oid = c.relnamespace AND ns.nspname = i.schemaname
WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = c.oid)
ORDER BY i.tablename, i.indexname
"""


@dataclass(frozen=True)
class SeedShape:
    submissions: int
    events_per_submission: int


def seed(libpq_url: str, shape: SeedShape, report: Callable[[str], None]) -> None:
    """Load ``shape`` into the (migrated, empty) database at ``libpq_url``."""
    params = {
        "total": shape.submissions,
        "per": shape.events_per_submission,
        "in_flight": min(IN_FLIGHT, shape.submissions // 10),
    }
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '1GB'")
        indexes = conn.execute(PLAIN_INDEXES, (list(LOADED_TABLES),)).fetchall()
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"'.encode())
        steps = [
            ("learners", SEED_USERS),
            ("questions", SEED_QUESTIONS),
            ("submissions", SEED_SUBMISSIONS),
            ("submission events", SEED_EVENTS),
            ("outbox rows", SEED_OUTBOX),
            ("processed callbacks", SEED_CALLBACKS),
        ]
        for what, sql in steps:
            started = time.monotonic()
            rows = conn.execute(_bind(sql, params)).rowcount
            report(f"{what}: {rows:,} rows in {time.monotonic() - started:,.0f} s")
        for name, definition in indexes:
            started = time.monotonic()
            conn.execute(definition.encode())
            report(f"index {name} built in {time.monotonic() - started:,.0f} s")
        for table in ("users", "questions", *LOADED_TABLES):
            started = time.monotonic()
            conn.execute(f"VACUUM (ANALYZE) {table}".encode())
            report(f"vacuum analyze {table} in {time.monotonic() - started:,.0f} s")


def _bind(sql: str, params: dict[str, int]) -> bytes:
    """``:name`` placeholders (not ``::`` casts) replaced by their integer values."""
    return re.sub(r"(?<!:):(?!:)([a-z_]+)", lambda m: str(int(params[m.group(1)])), sql).encode()
