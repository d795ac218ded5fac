"""Browser tests: the console as a separate process on a real database, driven by Debian's
Chromium through Playwright for Python.

Chromium is used as the machine has it (/usr/bin/chromium, or CHROMIUM_PATH); nothing is
downloaded. Where it is missing these tests are skipped with one line saying so (CI
installs the package, so there they run). Screenshots of every page are kept under
``.vstep/artifacts/console/``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.serve_client import free_port
from tests.integration.system_processes import SystemProcesses, system_processes
from tests.waiting import wait_until

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".vstep" / "artifacts" / "console"
START_TIMEOUT_SECONDS = 30.0
# The platform's own hasher: argon2id, 64 MiB, three passes, one lane.
PLATFORM_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1)
PASSWORD = "correct horse battery"

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None  # type: ignore[assignment]


def _why_skip() -> str | None:
    if sync_playwright is None:
        return "playwright for Python is not installed"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium); browser tests skipped"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _why_skip()
    if reason is None:
        return
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Staff:
    id: uuid.UUID
    email: str
    password: str = PASSWORD


def platform_user(
    factory: sessionmaker[Session], role: str, *, deleted: bool = False, password: str = PASSWORD
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
                "hash": PLATFORM_HASHER.hash(password),
                "role": role,
                "deleted": deleted,
            },
        ).scalar_one()
    return Staff(user_id, email, password)


@dataclass
class Console:
    processes: SystemProcesses
    url: str

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.post(self.url + path, timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def console(child_env: dict[str, str], tmp_path: Path) -> Iterator[Console]:
    port = free_port()
    env = {**child_env, "CONSOLE_SECRET": "browser-test-secret", "CONSOLE_PORT": str(port)}
    with system_processes(env, tmp_path) as processes:
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[object]:
    contexts = []

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, console: Console, staff: Staff) -> None:
    page.goto(console.url + "/sign-in")
    page.fill("input[name=email]", staff.email)
    page.fill("input[name=password]", staff.password)
    page.click("button[type=submit]")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def clean_artifacts() -> None:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
