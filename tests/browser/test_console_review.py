"""The review workspace in a real browser: sign-in, claim, score, submit, a race."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.conftest import shot, sign_in
from tests.browser.seed import review_queue
from tests.console_process import Console, platform_user

REFUSED = "Wrong email or password, or this account may not use the console."


def _rows(factory: sessionmaker[Session], sql: str, **params: Any) -> list[Any]:
    with factory.begin() as session:
        return list(session.execute(sa.text(sql), params))


def test_sign_in_refuses_a_learner_a_wrong_password_and_a_deleted_user(
    console: Console, new_page: Any, session_factory: sessionmaker[Session]
) -> None:
    learner = platform_user(session_factory, "learner")
    deleted = platform_user(session_factory, "instructor", deleted=True)
    reviewer = platform_user(session_factory, "instructor")
    page: Page = new_page()
    for who, password in (
        (learner, learner.password),
        (deleted, deleted.password),
        (reviewer, "not the password"),
    ):
        page.goto(console.url + "/sign-in")
        page.fill("input[name=email]", who.email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_have_text(REFUSED)
        assert page.context.cookies() == []
    shot(page, "sign-in-refused")
    sign_in(page, console, reviewer)
    expect(page).to_have_url(re.compile(r"/review$"))
    expect(page.locator("h1")).to_have_text("Review queue")


def test_a_reviewer_claims_scores_and_submits_and_the_submission_completes(
    console: Console, new_page: Any, session_factory: sessionmaker[Session]
) -> None:
    queue = review_queue(session_factory)
    reviewer = platform_user(session_factory, "instructor")
    page: Page = new_page()
    sign_in(page, console, reviewer)
    shot(page, "review-queue")
    first = queue[0]  # the copy of the prompt: critical, first in the queue
    page.click(f"a[href^='/review/{first}']")
    expect(page.locator("#claim-state")).to_contain_text("Nobody holds this item")
    expect(page.locator(".copy mark").first).to_be_visible()
    page.keyboard.press("c")  # claim
    expect(page.locator("#claim-state")).to_contain_text("You hold this item")
    shot(page, "review-item-claimed")
    page.goto(console.url + "/review?who=mine")
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("a.tile[href='/review?who=mine'] .n")).to_have_text("1")
    page.goto(f"{console.url}/review/{first}")
    for name, score in (
        ("taskFulfillment", "1"),
        ("organization", "2.5"),
        ("vocabulary", "3"),
        ("grammar", "3.5"),
    ):
        page.fill(f"input[name=c_{name}]", score)
    expect(page.locator("#overall")).to_have_text("2.5")  # mean 2.5
    page.fill("textarea[name=comment]", "The prompt copied word for word.")
    page.keyboard.press("Control+Enter")
    # Then the next item of the queue opens.
    expect(page).to_have_url(re.compile(rf"/review/{queue[1]}"))
    done = _rows(
        session_factory,
        "SELECT s.status, s.reviewer_id, s.score, d.result FROM submissions s "
        "JOIN submission_details d ON d.submission_id = s.id WHERE s.id = :id",
        id=first,
    )[0]
    assert done.status == "completed"
    assert done.reviewer_id == reviewer.id
    assert done.result["human"]["reviewerId"] == str(reviewer.id)
    assert done.result["human"]["overallScore"] == 2.5
    # The merged result: the AI's snapshot, the reviewer's, and the final score.
    assert done.result["ai"]["overallScore"] is not None
    assert done.result["overallScore"] == float(done.score)
    completed = _rows(
        session_factory,
        "SELECT count(*) AS n FROM submission_events"
        " WHERE submission_id = :id AND kind = 'completed'",
        id=first,
    )[0].n
    assert completed == 1
    audit = _rows(
        session_factory,
        "SELECT action, outcome, actor_id FROM console_audit ORDER BY created_at",
    )
    assert [(a.action, a.outcome, a.actor_id) for a in audit] == [
        ("review.claim", "done", reviewer.id),
        ("review.submit", "done", reviewer.id),
    ]


def test_two_reviewers_race_for_one_item_and_the_loser_is_told_who_holds_it(
    console: Console, new_page: Any, session_factory: sessionmaker[Session]
) -> None:
    item = review_queue(session_factory)[1]
    first, second = (platform_user(session_factory, "instructor") for _ in range(2))
    pages: list[Page] = [new_page(), new_page()]
    for page, who in zip(pages, (first, second), strict=True):
        sign_in(page, console, who)
        page.goto(f"{console.url}/review/{item}")
        expect(page.locator("#claim-state")).to_contain_text("Nobody holds this item")
    # Both press Claim on a page that says the item is free.
    pages[0].click("#claim-state button")
    pages[1].click("#claim-state button")
    expect(pages[0].locator("#claim-state")).to_contain_text("You hold this item")
    expect(pages[1].locator(".message")).to_contain_text(f"{first.email} holds this item")
    shot(pages[1], "review-race-lost")
    holder = _rows(session_factory, "SELECT claimed_by FROM submissions WHERE id = :id", id=item)
    assert holder[0].claimed_by == first.id
    # The loser's review is refused too, and nothing changes.
    pages[1].goto(f"{console.url}/review/{item}")
    pages[1].fill("input[name=c_grammar]", "5")
    pages[1].click("#review-form button[type=submit]")
    expect(pages[1].locator(".message")).to_contain_text(f"{first.email} holds this item")
    status = _rows(session_factory, "SELECT status FROM submissions WHERE id = :id", id=item)
    assert status[0].status == "review_pending"


def test_an_instructor_gets_403_on_operator_pages(
    console: Console, new_page: Any, session_factory: sessionmaker[Session]
) -> None:
    reviewer = platform_user(session_factory, "instructor")
    page: Page = new_page()
    sign_in(page, console, reviewer)
    operator_pages = ("/ops", "/ops/submissions", "/ops/failed", "/ops/outbox", "/ops/exams")
    for path in (*operator_pages, "/ops/audit"):
        response = page.goto(console.url + path)
        assert response is not None and response.status == 403, path
    shot(page, "instructor-forbidden")


@contextmanager
def other_site(html: str) -> Iterator[str]:
    """A page served by another origin on the same host (so the same site: SameSite=Strict
    alone would let the console's cookie go along)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_post_from_another_origin_is_refused_and_writes_nothing(
    console: Console, new_page: Any, session_factory: sessionmaker[Session]
) -> None:
    item = review_queue(session_factory)[1]
    reviewer = platform_user(session_factory, "instructor")
    page: Page = new_page()
    sign_in(page, console, reviewer)
    form = (
        f'<form method="post" action="{console.url}/review/{item}/claim">'
        '<button id="go">go</button></form>'
    )
    with other_site(form) as evil:
        page.goto(evil)
        with page.expect_response(re.compile(r"/claim$")) as answer:
            page.click("#go")
    assert answer.value.status == 403
    # The browser did send the session cookie (same site): the origin check refused it.
    assert "vstep_console=" in answer.value.request.all_headers().get("cookie", "")
    rows = _rows(
        session_factory,
        "SELECT (SELECT claimed_by FROM submissions WHERE id = :id) AS holder,"
        " (SELECT count(*) FROM console_audit) AS audits",
        id=item,
    )[0]
    assert (rows.holder, rows.audits) == (None, 0)
    shot(page, "cross-site-refused")


def test_the_review_works_without_script(
    console: Console, browser: Any, session_factory: sessionmaker[Session]
) -> None:
    item = review_queue(session_factory)[2]
    reviewer = platform_user(session_factory, "instructor")
    context = browser.new_context(java_script_enabled=False)
    try:
        page: Page = context.new_page()
        sign_in(page, console, reviewer)
        page.goto(f"{console.url}/review/{item}")
        page.click("#claim-state button")
        expect(page.locator("#claim-state")).to_contain_text("You hold this item")
        for name in ("taskFulfillment", "organization", "vocabulary", "grammar"):
            page.fill(f"input[name=c_{name}]", "6")
        page.click("#review-form button[type=submit]")
        page.wait_for_load_state()
    finally:
        context.close()
    done = _rows(session_factory, "SELECT status, score FROM submissions WHERE id = :id", id=item)
    assert done[0].status == "completed"
