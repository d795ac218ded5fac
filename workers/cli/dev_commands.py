"""`vstep-grading dev`: what `make run` starts on one machine."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import typer

from db import migrate
from db.urls import libpq_url, parse_database_url, safe_url
from workers.cli.output import console
from workers.devenv import Services, resolve_services

DEV_DATABASE = "vstep_grading"
STATE_DIR = Path(".vstep")


def prepare(services: Services) -> str:
    """Create (if needed) and migrate the database; return its libpq URL."""
    explicit = os.environ.get("DATABASE_URL")
    url = parse_database_url(explicit) if explicit else services.database_url(DEV_DATABASE)
    if not explicit:
        with psycopg.connect(libpq_url(services.postgres_admin_url), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DEV_DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DEV_DATABASE}"')
    migrate.upgrade(url)
    return libpq_url(url)


def dev(
    state_dir: Path = typer.Option(STATE_DIR, help="Where embedded servers keep their data."),
) -> None:
    """Run the system locally (what `make run` does), with embedded servers if none answers."""
    services = resolve_services(state_dir.resolve())
    try:
        database_url = prepare(services)
        for line in services.embedded:
            console.print(f"started embedded {line}")
        revision = migrate.current_revision(parse_database_url(database_url))
        console.print(f"database: {safe_url(database_url)} (migrated to {revision})")
        console.print(f"broker:   {services.redis_url}")
    finally:
        services.stop()
