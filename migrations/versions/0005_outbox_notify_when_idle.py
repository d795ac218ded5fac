"""Notify only while a relay is idle: notifying commits no longer queue behind each other.

A transaction that has sent NOTIFY takes one database-wide lock at commit and keeps it
through its WAL flush, so with a NOTIFY in every intake, concurrent producers commit
one at a time. Only an idle relay needs the wake-up; a busy one finds the row on its
next pass. So the trigger function now notifies only while a relay is idle.

The protocol, on one advisory lock (the pair of keys below):
- A relay that has nothing left to do takes the lock EXCLUSIVELY on its LISTEN
  connection before it waits, makes one more pass, then waits on LISTEN holding it.
  When a NOTIFY wakes it, it releases the lock and is busy until a pass comes back
  short, when it takes the lock again.
- The trigger tries the lock SHARED for its transaction. Refused: a relay is idle, so
  it notifies. Granted: no relay is idle, so it skips the NOTIFY and holds the lock
  shared until its transaction ends.
- That hold closes the race of a producer that inserts while every relay is busy and
  commits after a relay's last pass: the relay's exclusive lock waits for that
  commit (or rollback), and its one more pass comes after, so it sees the row. While
  the relay waits for the lock, further producers are refused the shared lock (a
  waiter for an exclusive lock blocks new shared requests) and notify.

With no relay running, nobody holds the lock and nobody is notified; a relay that
starts makes a pass before it waits. The payload stays empty.

Revision ID: 0005_outbox_notify_when_idle
Revises: 0004_user_skill_scores_once
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_outbox_notify_when_idle"
down_revision: str | None = "0004_user_skill_scores_once"

# The channel and the idle lock's keys are db/outbox_wakeup.OUTBOX_CHANNEL and IDLE_LOCK_KEYS
# ('vstg' as a 32-bit integer, 1 for the outbox), written out (a unit test compares).
NOTIFY_WHEN_IDLE_FUNCTION = """
            CREATE OR REPLACE FUNCTION vstep_outbox_notify() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF NOT pg_try_advisory_xact_lock_shared(1987277927, 1) THEN
                    PERFORM pg_notify('vstep_outbox', '');
                END IF;
                RETURN NULL;
            END;
            $$
            """
# The function as migration 0003 made it.
NOTIFY_ALWAYS_FUNCTION = """
            CREATE OR REPLACE FUNCTION vstep_outbox_notify() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('vstep_outbox', '');
                RETURN NULL;
            END;
            $$
            """


def upgrade() -> None:
    op.execute(sa.text(NOTIFY_WHEN_IDLE_FUNCTION))


def downgrade() -> None:
    op.execute(sa.text(NOTIFY_ALWAYS_FUNCTION))
