"""The console as a separate process on the test's database, and staff accounts written
in plain SQL as the platform writes them (argon2id, 64 MiB, three passes, one lane)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.serve_client import free_port
from tests.integration.system_processes import SystemProcesses, system_processes
from tests.waiting import wait_until

START_TIMEOUT_SECONDS = 30.0
PLATFORM_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1)
PASSWORD = "correct horse battery"


@dataclass
class Staff:
    id: uuid.UUID
    email: str
    password: str = PASSWORD


def platform_user(
    factory: sessionmaker[Session],
    role: str,
    *,
    deleted: bool = False,
    password: str = PASSWORD,
    password_hash: str | None = None,
) -> Staff:
    """An account written in plain SQL, as the platform writes it."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@platform.example"
    with factory.begin() as session:
        user_id = session.execute(
            sa.text(
                "INSERT INTO users (email, password_hash, role, deleted_at) "
                "VALUES (:email, :hash, CAST(:role AS user_role), "
                "CASE WHEN :deleted THEN now() END) RETURNING id"
            ),
            {
                "email": email,
                "hash": password_hash or PLATFORM_HASHER.hash(password),
                "role": role,
                "deleted": deleted,
            },
        ).scalar_one()
    return Staff(user_id, email, password)


@dataclass
class Console:
    processes: SystemProcesses
    url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)

    def signed_in(self, staff: Staff) -> httpx.Client:
        client = self.client()
        answer = client.post("/sign-in", data={"email": staff.email, "password": staff.password})
        assert answer.status_code == 303, answer.text
        return client


@contextmanager
def console_process(env: dict[str, str], log_dir: Path, **settings: str) -> Iterator[Console]:
    port = free_port()
    env = {**env, "CONSOLE_SECRET": "console-test-secret", "CONSOLE_PORT": str(port), **settings}
    with system_processes(env, log_dir) as processes:
        process = processes.start("console", "console")
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                return httpx.get(url + "/sign-in", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(
            lambda: answers() or process.poll() is not None,
            timeout=START_TIMEOUT_SECONDS,
            message="the console did not answer",
        )
        assert process.poll() is None, processes.tail("console")
        yield Console(processes, url)
