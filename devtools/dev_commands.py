"""`vstep-grading dev`: the whole system on one machine (what `make run` does).

The command's options are declared in ``devtools/cli.py``, which imports this module
only when the command runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from types import FrameType

import psycopg
from sqlalchemy.orm import Session, sessionmaker

from db import migrate
from db.platform_rows import user_create
from db.session import make_engine, make_session_factory
from db.urls import libpq_url, parse_database_url, safe_url
from devtools.demo import run_demo
from devtools.demo_report import summary_tables
from devtools.demo_reviewer import DemoReviewer
from devtools.demo_staff import PEOPLE_QUEUE, announce_console
from devtools.devenv import Services, require_embedded, resolve_services
from domain.enums import UserRole
from workers.assembly import process_settings
from workers.cli.output import console
from workers.http_socket import check_http_address
from workers.settings import Settings
from workers.start_check import wait_for_services

DEV_DATABASE = "vstep_grading"
# Written whole, not assembled from DEV_DATABASE (tests/unit/test_sql_literals.py compares).
CREATE_DEV_DATABASE = 'CREATE DATABASE "vstep_grading"'
PROCFILE = Path("Procfile")
# How long the relay and workers get to finish their batches after Ctrl-C.
SHUTDOWN_GRACE_SECONDS = 30


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
                conn.execute(CREATE_DEV_DATABASE)
    migrate.upgrade(url)
    return libpq_url(url)


def fresh_directory(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def start_procfile(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Run every Procfile process under honcho, its output in a log file.

    honcho gets a session of its own, so only we stop it (a terminal's Ctrl-C or hangup
    reaches us, and we pass it on), and on Linux it is sent SIGTERM if we die without
    stopping it (PR_SET_PDEATHSIG): it then stops every process it started.
    """
    honcho = Path(sys.executable).with_name("honcho")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            [str(honcho), "start", "-f", str(PROCFILE.resolve()), "-d", str(Path.cwd())],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # No other thread runs yet: preexec_fn is safe here.
            preexec_fn=terminate_with_parent,
        )


def stop_procfile(process: subprocess.Popen[bytes]) -> None:
    """honcho stops its processes (SIGTERM, SIGKILL after 5 s); any it leaves is killed."""
    started = descendants(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=SHUTDOWN_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in started:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def run_dev(*, state_dir: Path, demo: int, exit_when_done: bool) -> None:
    """Run the Procfile (relay, workers, scheduler) with a live demo; Ctrl-C, SIGTERM or
    SIGHUP stops them all."""
    require_embedded()
    settings = process_settings()  # a bad variable stops us here, before anything starts
    # serve's address, then the servers the user named: one line, before anything starts.
    check_http_address(settings.http_host, settings.http_port)
    wait_for_services(
        os.environ.get("DATABASE_URL"), os.environ.get("BROKER_URL"), settings.start_wait_seconds
    )
    state_dir = state_dir.resolve()
    stop_on(signal.SIGTERM, signal.SIGHUP)
    services = resolve_services(state_dir)
    system: subprocess.Popen[bytes] | None = None
    try:
        database_url = prepare(services)
        for line in services.embedded:
            console.print(f"started embedded {line}")
        console.print(f"database: {safe_url(database_url)}")
        console.print(f"broker:   {services.redis_url}")
        log_path = state_dir / "logs" / "system.log"
        bin_dir = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "BROKER_URL": services.redis_url,
            "LOG_FORMAT": "json",
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            # serve needs a secret to check callbacks: a random one per run unless set.
            "CALLBACK_SECRET": os.environ.get("CALLBACK_SECRET") or secrets.token_hex(32),
            # The demo's learners share a handful of texts, so compared with each other
            # every one would be a copy; copies of the prompt and template still show.
            "PEER_ANSWERS_COMPARED": os.environ.get("PEER_ANSWERS_COMPARED", "0"),
            # Every process counts in this directory, and serve's /metrics adds them up;
            # emptied first, so the totals are this run's.
            "PROMETHEUS_MULTIPROC_DIR": str(fresh_directory(state_dir / "metrics")),
        }
        system = start_procfile(env, log_path)
        console.print(
            "relay, workers, scheduler, serve and console running (Procfile); "
            f"their logs: {log_path}"
        )
        console.print(
            f"HTTP: http://{settings.http_host}:{settings.http_port}"
            " (/v1/callbacks, /healthz, /readyz, /metrics, /openapi.json)"
        )
        # Callbacks are signed with it: print it, so a person can post to the door too.
        console.print(f"CALLBACK_SECRET={env['CALLBACK_SECRET']}")
        if demo > 0:
            engine = make_engine(database_url, application_name="vstep-grading demo")
            factory = make_session_factory(engine)
            reviewer = demo_reviewer(factory, settings, secret=env["CALLBACK_SECRET"])
            try:
                report = run_demo(
                    factory, console, count=demo, sla=settings.sla(), reviewer=reviewer
                )
            finally:
                reviewer.close()
                engine.dispose()
            for table in summary_tables(report):
                # A blank line first: with soft wrapping a title would run on from the
                # previous table's last border.
                console.print()
                console.print(table)
        announce_console(database_url, settings, console, queue=PEOPLE_QUEUE if demo > 0 else 0)
        if not exit_when_done:
            console.print("the system keeps running; Ctrl-C stops every process")
            system.wait()
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):  # a terminal that hung up takes no more lines
            console.print("stopping ...")
    finally:
        # A second signal must not cut the stop short.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if system is not None:
            stop_procfile(system)
        services.stop()


def stop_on(*signals: signal.Signals) -> None:
    """These signals stop `dev` as Ctrl-C does: everything it started is stopped."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in signals:
        signal.signal(signum, handle)


# prctl(2) option: the signal this process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def terminate_with_parent() -> None:
    """In a child before exec: SIGTERM when the parent dies (Linux; elsewhere nothing)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` now, read from /proc (Linux; elsewhere none)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name, in brackets, may hold spaces: the fields follow its ')'.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        below = children.get(pending.pop(), [])
        found += below
        pending += below
    return found


def demo_reviewer(
    factory: sessionmaker[Session], settings: Settings, *, secret: str
) -> DemoReviewer:
    """A reviewer account of the demo's, posting to this system's own serve."""
    with factory.begin() as session:
        reviewer_id = user_create(
            session,
            email=f"reviewer.{uuid.uuid4().hex[:8]}@demo.vstep.example",
            full_name="Demo Reviewer",
            role=UserRole.INSTRUCTOR,
        )
    return DemoReviewer(
        factory,
        callbacks_url=settings.callback_url(),
        secret=secret.encode(),
        reviewer_id=reviewer_id,
        claim_minutes=settings.review_claim_minutes,
    )
