"""Wake relays on LISTEN/NOTIFY when outbox rows become pending.

A statement-level trigger on insert sends one notification per statement (a bulk
insert of thousands of rows wakes the relays once), and a row-level one on an
update back to pending (operator retry, publish backoff) lets a relay see it at
once. Payloads are empty: the relay claims from the table, never from the message.

Revision ID: 0003_outbox_notify
Revises: 0002_updated_at_trigger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_outbox_notify"
down_revision: str | None = "0002_updated_at_trigger"

# The channel is db/outbox_wakeup.OUTBOX_CHANNEL, written out (a unit test compares).
NOTIFY_FUNCTION = """
            CREATE FUNCTION vstep_outbox_notify() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('vstep_outbox', '');
                RETURN NULL;
            END;
            $$
            """


def upgrade() -> None:
    op.execute(sa.text(NOTIFY_FUNCTION))
    op.execute(
        sa.text(
            "CREATE TRIGGER outbox_notify_insert AFTER INSERT ON outbox "
            "FOR EACH STATEMENT EXECUTE FUNCTION vstep_outbox_notify()"
        )
    )
    op.execute(
        sa.text(
            "CREATE TRIGGER outbox_notify_pending AFTER UPDATE OF status ON outbox "
            "FOR EACH ROW WHEN (NEW.status = 'pending' AND OLD.status IS DISTINCT FROM 'pending') "
            "EXECUTE FUNCTION vstep_outbox_notify()"
        )
    )


def downgrade() -> None:
    op.execute(sa.text("DROP TRIGGER IF EXISTS outbox_notify_pending ON outbox"))
    op.execute(sa.text("DROP TRIGGER IF EXISTS outbox_notify_insert ON outbox"))
    op.execute(sa.text("DROP FUNCTION IF EXISTS vstep_outbox_notify()"))
