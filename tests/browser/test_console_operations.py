"""Operators' pages in a real browser: a group of failed submissions previewed, retried
and completed; screenshots of every operator page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from db.exam_intake import submit_exam
from tests.browser.conftest import shot, sign_in
from tests.browser.seed import failed_by_timeout, review_queue
from tests.console_process import Console, console_process, platform_user
from tests.exam_fixtures import make_exam
from tests.waiting import wait_until


@pytest.fixture
def console(child_env: dict[str, str], tmp_path: Path, redis_namespace: str) -> Iterator[Console]:
    """The console, and room for the relay and a worker in the test's own Redis key space."""
    env = {**child_env, "BROKER_NAMESPACE": redis_namespace}
    with console_process(env, tmp_path) as running:
        yield running


def _one(factory: sessionmaker[Session], sql: str, **params: Any) -> Any:
    with factory.begin() as session:
        return session.execute(sa.text(sql), params).one()


def test_an_operator_previews_and_retries_a_failed_group_and_it_completes(
    console: Console, new_page: Any, session_factory: sessionmaker[Session]
) -> None:
    failed = failed_by_timeout(session_factory, 3)
    operator = platform_user(session_factory, "admin")
    page: Page = new_page()
    sign_in(page, console, operator)
    expect(page).to_have_url(re.compile(r"/ops$"))
    page.goto(console.url + "/ops/failed")
    shot(page, "ops-failed")
    page.click("button[name=group][value=TIMEOUT]")
    # The preview lists exactly the three, and nothing has changed yet.
    rows = page.locator("#will-change tbody tr")
    expect(rows).to_have_count(3)
    for sid in failed:
        expect(page.locator("#will-change")).to_contain_text(str(sid))
    shot(page, "ops-retry-preview")
    still = _one(
        session_factory,
        "SELECT count(*) AS n FROM submissions WHERE id = ANY(:ids) AND status = 'failed'",
        ids=failed,
    )
    assert still.n == 3
    page.fill("input[name=note]", "worker was down")
    page.click("#confirm")
    expect(page.locator(".notice")).to_contain_text("3 retried")
    shot(page, "ops-retried")
    # The pipeline itself takes the retried requests: the relay sends them, a worker grades.
    console.processes.start("relay", "relay")
    console.processes.start("worker", "worker", "--processes", "1", "--threads", "2")
    wait_until(
        lambda: (
            _one(
                session_factory,
                "SELECT count(*) AS n FROM submissions"
                " WHERE id = ANY(:ids) AND status = 'completed'",
                ids=failed,
            ).n
            == 3
        ),
        timeout=90,
        message="the retried submissions did not complete",
    )
    done = _one(
        session_factory,
        "SELECT count(*) FILTER (WHERE status = 'completed') AS completed,"
        " (SELECT count(*) FROM submission_events e WHERE e.submission_id = ANY(:ids)"
        "   AND e.kind = 'operator_retried' AND e.data->>'by' = :email) AS retried_events,"
        " (SELECT count(*) FROM console_audit WHERE action = 'submission.retry'"
        "   AND actor_id = :actor AND outcome = 'done') AS audits"
        " FROM submissions WHERE id = ANY(:ids)",
        ids=failed,
        email=operator.email,
        actor=operator.id,
    )
    assert (done.completed, done.retried_events, done.audits) == (3, 3, 1)


def test_every_operator_page_renders(
    console: Console, new_page: Any, session_factory: sessionmaker[Session]
) -> None:
    review_queue(session_factory)
    failed = failed_by_timeout(session_factory, 2)
    exam = make_exam(session_factory)
    with session_factory.begin() as session:
        parts = len(submit_exam(session, session_id=exam.session_id).submission_ids)
    operator = platform_user(session_factory, "admin")
    page: Page = new_page()
    sign_in(page, console, operator)
    expect(page.locator("[data-live=status_failed]")).to_have_text("2")
    shot(page, "ops-overview")
    page.goto(console.url + "/ops/submissions")
    expect(page.locator("table.list tbody tr")).to_have_count(5 + parts)
    shot(page, "ops-submissions")
    page.goto(console.url + "/ops/submissions?status=failed")
    expect(page.locator("table.list tbody tr")).to_have_count(2)
    page.goto(f"{console.url}/ops/submissions/{failed[0]}")
    expect(page.locator("h1")).to_contain_text(str(failed[0]))
    shot(page, "ops-submission-timeline")
    with session_factory.begin() as session:
        session.execute(
            sa.text(
                "UPDATE outbox SET status = 'failed', error_message = 'no route for x'"
                " WHERE submission_id = :id"
            ),
            {"id": failed[1]},
        )
    for name in ("outbox", "exams", "audit"):
        response = page.goto(f"{console.url}/ops/{name}")
        assert response is not None and response.status == 200
        shot(page, f"ops-{name}")
        if name == "exams":
            expect(page.locator("table.list tbody tr")).to_have_count(1)
            expect(page.locator("table.list tbody tr td a")).to_have_count(parts)
        if name == "outbox":
            page.check("input[name=id]")
            page.click("text=Preview retry of the selected")
            expect(page.locator("main")).to_contain_text("no route for x")
            shot(page, "ops-outbox-retry-preview")
            page.click("#confirm")
            expect(page.locator(".notice")).to_contain_text("1 retried")
            page.goto(f"{console.url}/ops/outbox")
            page.click("text=Preview purge")
            expect(page.locator("main")).to_contain_text("published rows were published")
            shot(page, "ops-outbox-purge-preview")
    status = _one(session_factory, "SELECT status FROM submissions WHERE id = :id", id=failed[1])
    assert status.status == "pending"  # the failed request's retry reopened its submission
