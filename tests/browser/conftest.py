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
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console_process import Console, Staff, console_process

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".vstep" / "artifacts" / "console"

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


@pytest.fixture
def console(child_env: dict[str, str], tmp_path: Path) -> Iterator[Console]:
    with console_process(child_env, tmp_path) as running:
        yield running


# Per module, not per session: Playwright's sync API keeps an asyncio loop running in
# this thread while it lives, and a later test of the same pytest worker that calls
# asyncio.run() (test_hand_grading) would find it running.
@pytest.fixture(scope="module")
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
