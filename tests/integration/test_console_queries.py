"""The console's keyset pages walk a list whole: every row once, in order."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from db.console_lists import SubmissionSearch, submissions_page
from db.review_items import priority_rank, review_list
from domain.enums import SubmissionStatus
from tests.browser.seed import failed_by_timeout, review_queue


def test_the_review_queue_pages_by_priority_then_age(
    session_factory: sessionmaker[Session],
) -> None:
    queue = review_queue(session_factory)  # critical, high, medium
    seen: list[uuid.UUID] = []
    after = None
    with session_factory.begin() as session:
        while True:
            page = review_list(
                session, priority=None, unclaimed=False, claim_minutes=30, limit=1, after=after
            )
            if not page:
                break
            seen.extend(item.id for item in page)
            assert len(seen) <= len(queue), seen  # a page never repeats
            last = page[-1]
            after = (priority_rank(last.priority), last.created_at, last.id)
    assert seen == queue


def test_submission_search_pages_newest_first_and_filters(
    session_factory: sessionmaker[Session],
) -> None:
    failed = failed_by_timeout(session_factory, 3)
    review = review_queue(session_factory)
    everything: list[uuid.UUID] = []
    before = None
    with session_factory.begin() as session:
        while page := submissions_page(session, search=SubmissionSearch(), before=before, limit=2):
            everything.extend(row.id for row in page)
            assert len(everything) <= 6, everything  # a page never repeats
            before = (page[-1].created_at, page[-1].id)
        only_failed = submissions_page(
            session, search=SubmissionSearch(status=SubmissionStatus.FAILED), before=None, limit=50
        )
        by_id = submissions_page(
            session, search=SubmissionSearch(id=review[0]), before=None, limit=50
        )
    assert everything == list(reversed(failed + review))
    assert {row.id for row in only_failed} == set(failed)
    assert [row.id for row in by_id] == [review[0]]
