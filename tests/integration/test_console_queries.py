"""The console's reads: keyset pages walk a list whole (every row once, in order), filters
narrow it, and the stall rule's locking read skips what another transaction holds."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.console_audit import Actor, audit_append, audit_page
from db.console_lists import (
    SubmissionSearch,
    exam_sessions_page,
    outbox_failed_page,
    outbox_rows,
    submissions_page,
)
from db.review_items import priority_rank, review_list
from db.supervision import submissions_stalled
from domain.enums import OutboxStatus, Skill, SubmissionStatus
from tests.browser.seed import failed_by_timeout, review_queue
from tests.integration.outbox_seed import seed_pending


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


def test_search_filters_each_narrow_the_list_and_combine(
    session_factory: sessionmaker[Session],
) -> None:
    failed = failed_by_timeout(session_factory, 2)
    review = review_queue(session_factory)
    with session_factory.begin() as session:
        first = submissions_page(
            session, search=SubmissionSearch(id=review[0]), before=None, limit=1
        )
        line = first[0]
        question = session.execute(
            sa.text("SELECT question_id FROM submissions WHERE id = :id"), {"id": line.id}
        ).scalar_one()

        def ids(**filters: object) -> set[uuid.UUID]:
            search = SubmissionSearch(**filters)  # type: ignore[arg-type]
            return {r.id for r in submissions_page(session, search=search, before=None, limit=50)}

        assert ids(request_id=line.request_id) == {review[0]}
        assert ids(email=line.email.upper()) == {review[0]}
        assert ids(skill=Skill.WRITING) == set(review)
        assert ids(question_id=question) == set(review)
        assert ids(since=line.created_at, until=line.created_at + timedelta(microseconds=1)) == {
            review[0]
        }
        assert ids(status=SubmissionStatus.FAILED, skill=Skill.WRITING) == set()
        assert ids(status=SubmissionStatus.REVIEW_PENDING, skill=Skill.WRITING) == set(review)
        assert ids() == set(failed + review)
        # each call's values are planned afresh for the rest of the transaction
        assert session.execute(sa.text("SHOW plan_cache_mode")).scalar_one() == (
            "force_custom_plan"
        )
    # the records carry the enums the pages read
    assert (line.skill, line.status) == (Skill.WRITING, SubmissionStatus.REVIEW_PENDING)


def test_the_stall_rule_locks_what_it_returns_and_skips_rows_another_transaction_holds(
    session_factory: sessionmaker[Session], engine: Engine
) -> None:
    # given four queued submissions whose requests were sent, one with a processing and an
    # error event, all quiet for longer than the stall window
    ids = sorted(seed_pending(engine, 4))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE outbox SET status = 'published', published_at = now()"))
        conn.execute(sa.text("UPDATE submissions SET status = 'queued'"))
        sids = [
            row[0]
            for row in conn.execute(
                sa.text("SELECT submission_id FROM outbox WHERE id = ANY(:ids)"), {"ids": ids}
            )
        ]
        conn.execute(
            sa.text(
                "INSERT INTO submission_events (submission_id, kind, data) VALUES"
                " (:id, 'processing', NULL), (:id, 'error', '{\"error\": \"boom\"}')"
            ),
            {"id": sids[0]},
        )
        now = conn.execute(sa.text("SELECT now() + interval '3 minutes'")).scalar_one()
    stalled = sorted(sids)
    # when another transaction holds the second of them
    with engine.connect() as holder:
        holder.execute(
            sa.text("SELECT 1 FROM submissions WHERE id = :id FOR UPDATE"), {"id": stalled[1]}
        )
        with session_factory.begin() as session:
            locked = submissions_stalled(session, stall_seconds=120, limit=2, now=now)
            read = submissions_stalled(session, stall_seconds=120, limit=10, now=now, lock=False)
        holder.rollback()
    # then a locking page leaves it out and is filled past it; a plain read shows it
    assert [s.id for s in locked] == [stalled[0], stalled[2]]
    assert [s.id for s in read] == stalled
    facts = {s.id: (s.attempts_made, s.last_error, s.status) for s in read}
    assert facts[sids[0]] == (1, "boom", SubmissionStatus.QUEUED)
    assert facts[sids[1]] == (0, None, SubmissionStatus.QUEUED)
    assert all(s.stalled_seconds >= 170 and s.last_message_id is not None for s in read)


def test_outbox_exam_and_audit_pages_walk_their_lists_newest_first(
    session_factory: sessionmaker[Session], engine: Engine
) -> None:
    seed_pending(engine, 3)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE outbox SET status = 'failed', error_message = 'lost'"))
    for n in range(3):
        with session_factory.begin() as session:
            audit_append(
                session,
                actor=Actor(None, "ops@x.example", "127.0.0.1"),
                action="outbox.retry" if n != 1 else "outbox.purge",
                target={"n": n},
                outcome="done",
                detail={"n": n} if n else None,
            )
    with session_factory.begin() as session:
        walked: list[uuid.UUID] = []
        before = None
        while page := outbox_failed_page(session, before=before, limit=2):
            walked += [row.id for row in page]
            before = (page[-1].created_at, page[-1].id)
        everything = outbox_rows(session, ids=walked)
        audits = audit_page(session, before=None, action=None, limit=2)
        older = audit_page(
            session, before=(audits[-1].created_at, audits[-1].id), action=None, limit=2
        )
        retries = audit_page(session, before=None, action="outbox.retry", limit=10)
        exams = exam_sessions_page(session, before=None, limit=10)
    assert len(walked) == len(set(walked)) == 3
    assert sorted(walked) == [row.id for row in everything]
    assert {(row.status, row.error_message) for row in everything} == {
        (OutboxStatus.FAILED, "lost")
    }
    assert [a.target["n"] for a in audits + older] == [2, 1, 0]
    assert [a.target["n"] for a in retries] == [2, 0]
    assert (retries[0].detail, retries[1].detail, retries[0].address) == (
        {"n": 2},
        None,
        "127.0.0.1",
    )
    assert exams == []
