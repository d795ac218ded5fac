"""Run the Alembic migrations programmatically against a DATABASE_URL."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy.engine import URL

import migrations
from db.session import make_engine
from db.urls import safe_url
from domain.errors import DatabaseUnavailable, InvalidInput

MIGRATIONS_DIR = Path(migrations.__file__).parent
# The revision that creates the schema shared with other services (schema.md).
SHARED_SCHEMA_REVISION = "0001_shared_schema"


def alembic_config(url: URL) -> Config:
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would mangle a '%' in a password.
    config.set_main_option(
        "sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def check_reachable(url: URL) -> None:
    """Fail with one line naming the (masked) URL when the server does not answer."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except DatabaseUnavailable as exc:
        raise DatabaseUnavailable(f"database {safe_url(url)} is not reachable: {exc}") from exc
    finally:
        engine.dispose()


def upgrade(url: URL, revision: str = "head") -> None:
    check_reachable(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: URL, revision: str) -> None:
    check_reachable(url)
    command.downgrade(alembic_config(url), revision)


def current_revision(url: URL) -> str | None:
    check_reachable(url)
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def downgrade_steps(url: URL, revision: str) -> list[str]:
    """The revisions a downgrade to ``revision`` would undo, newest first (none: no-op)."""
    current = current_revision(url)
    script = ScriptDirectory.from_config(alembic_config(url))
    # The walk command.downgrade itself takes, so "-1", "base" and partial ids mean here
    # what they will mean there.
    try:
        scripts = script.iterate_revisions(current, revision, select_for_downgrade=True)
        return [step.revision for step in scripts]
    except RevisionError as exc:
        raise InvalidInput("REVISION", f"{exc} (the database is at {current or 'base'})") from None
