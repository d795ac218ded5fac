"""Plans made for each call's values, for the texts with optional filters.

A text with optional filters (``CAST(%(x)s AS type) IS NULL OR col = %(x)s``) serves
every combination of filters as one statement. Planned with the call's values, the
absent filters fold away and each present one uses its index, as a text written for
that combination would. psycopg prepares a text it has seen a few times, and PostgreSQL
may then switch a prepared statement to one generic plan for every value: with the
filters still in it, that plan walks the newest-first index past every row a filter
refuses. Forcing a custom plan for the rest of the transaction keeps the first.
"""

from __future__ import annotations

from db.statements import Sql, Tx, execute

# SET LOCAL, as a SELECT (a statement that can be prepared like any other).
PLAN_EACH_CALL = Sql(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true) AS plan_cache_mode"
)


def plan_each_call(tx: Tx) -> None:
    """Plan every following statement of this transaction with its own values."""
    execute(tx, PLAN_EACH_CALL, {})
