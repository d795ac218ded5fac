"""The retry budget, counted once: grading_budget_failures(submission_id).

A submission's grading failures count against one budget whichever door they came
through (the worker, or a grader's error callback). The budget starts at the
``submitted`` event, and again at an operator's retry (an event whose data carries
``retryBudget``); a failure is an ``error`` event since then. The worker's lock
(db/grading.py) and the callbacks' lock (db/results.py) both read it through this one
function, under the submission's row lock, so a redispatched message or a retry message
delivered twice neither resets nor doubles the count.

Revision ID: 0008_retry_budget
Revises: 0007_intake_functions
"""

from __future__ import annotations

from alembic import op

revision: str = "0008_retry_budget"
down_revision: str | None = "0007_intake_functions"

# plpgsql, not sql: a SQL function that reads a table is planned again on every call,
# where plpgsql keeps the plan of its query for the session (it runs on every lock).
CREATE = """
CREATE FUNCTION grading_budget_failures(submission uuid) RETURNS integer
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (
        SELECT CAST(count(*) AS integer)
        FROM submission_events e
        WHERE e.submission_id = submission AND e.kind = 'error'
          AND NOT EXISTS (
              SELECT 1 FROM submission_events b
              WHERE b.submission_id = submission AND b.occurred_at > e.occurred_at
                AND (b.kind = 'submitted' OR b.data ? 'retryBudget')));
END;
$$
"""

DROP = "DROP FUNCTION grading_budget_failures(uuid)"


def upgrade() -> None:
    op.execute(CREATE)


def downgrade() -> None:
    op.execute(DROP)
