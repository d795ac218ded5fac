"""The typed models and the migrations describe the same schema."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from db.migrate import downgrade, upgrade
from db.models import Base


def test_autogenerate_finds_no_difference(engine: Engine) -> None:
    # given a database built by the migrations
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        # when alembic compares it with the models
        diff = compare_metadata(context, Base.metadata)
    # then there is nothing to migrate
    assert diff == []


def test_downgrade_to_base_and_back(db_sa_url: sa.URL, engine: Engine) -> None:
    downgrade(db_sa_url, "base")
    with engine.connect() as conn:
        leftovers = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'alembic_version'"
            )
        ).scalar_one()
        enum_types = conn.execute(
            sa.text("SELECT count(*) FROM pg_type WHERE typtype = 'e'")
        ).scalar_one()
    assert (leftovers, enum_types) == (0, 0)
    upgrade(db_sa_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM submissions")).scalar_one() == 0


def test_updated_at_moves_on_plain_sql_update(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, password_hash, created_at, updated_at) "
                "VALUES (gen_random_uuid(), 'a@example.org', 'x', now() - interval '1 day', "
                "now() - interval '1 day')"
            )
        )
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET full_name = 'A'"))
        age = conn.execute(sa.text("SELECT now() - updated_at FROM users")).scalar_one()
    assert age.total_seconds() < 60
