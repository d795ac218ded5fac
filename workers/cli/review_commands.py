"""`vstep-grading review list|show|claim|submit`: the reviewers' side of the review queue.

Reading and claiming are named queries of ``db/review_queue.py``. A review's result is a
``review`` callback (a fresh eventId) applied by ``CallbackService``, the one path every
result takes: the reviewer's check (an active instructor or admin, not the learner), the
merge with the AI result, the audit flag and the single finalization hold here exactly
as for a reviewer's tool posting to ``/v1/callbacks``. Errors name the option typed
(``--score``), not the callback's field. A submission not waiting for review, or held by
another reviewer, is a refusal given its state (exit 1); a bad option value exits 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from db.review_items import ReviewItem, review_get, review_list
from db.review_queue import ClaimHeld, NotInReview, review_claim, review_waiting
from domain.callbacks import CERTIFICATE_BANDS, SCORE_MAX, SCORE_MIN
from domain.errors import ConstraintViolation, InvalidInput
from domain.results import Verdict
from workers.assembly import callback_service_from, process_settings
from workers.cli.arguments import PRIORITIES, parse_priority, parse_uuid
from workers.cli.database import (
    DatabaseUrl,
    Json,
    SubmissionId,
    cli_session_factory,
    cli_transaction,
)
from workers.cli.output import (
    EXIT_FAILURE,
    EXIT_USAGE,
    console,
    fail,
    print_json,
    print_records,
    print_table,
)
from workers.review_submission import review_submit

app = typer.Typer(help="The review queue: list, show, claim and review.", no_args_is_help=True)
BANDS = ", ".join(band.value for band in CERTIFICATE_BANDS)
# The review callback's fields, as the options a person types them with.
OPTION_OF_FIELD = {
    "data.reviewerId": "--reviewer",
    "data.overallScore": "--score",
    "data.band": "--band",
    "data.criteriaScores": "--criteria",
    "data.comment": "--comment",
}


@contextmanager
def _refusals() -> Iterator[None]:
    """A review refused: InvalidInput renamed to the option typed (exit 2 in main), and a
    refusal given the submission's state (held by another, not in review) exit 1."""
    try:
        yield
    except (ClaimHeld, NotInReview) as exc:
        raise fail(str(exc), EXIT_FAILURE) from None
    except InvalidInput as exc:
        raise _as_typed(exc) from None


def _as_typed(exc: InvalidInput) -> InvalidInput:
    for field, option in OPTION_OF_FIELD.items():
        if exc.field == field or exc.field.startswith(field + "."):
            inner = exc.field[len(field) + 1 :]
            return InvalidInput(option, f"{inner}: {exc.reason}" if inner else exc.reason)
    return exc


def _claim_minutes() -> float:
    return process_settings().review_claim_minutes


def _row(item: ReviewItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "priority": item.priority,
        "skill": item.skill,
        "score": item.score,
        "confidence": item.confidence,
        "audit": item.audit_flag,
        "claimed_by": item.claimed_by if item.claim_live else None,
        "claimed_at": item.claimed_at if item.claim_live else None,
        "waiting_since": item.waiting_since,
    }


@app.command("list")
def list_reviews(
    priority: str | None = typer.Option(
        None, "--priority", help=f"Only this review priority: {PRIORITIES}."
    ),
    unclaimed: bool = typer.Option(
        False, "--unclaimed", help="Only those nobody holds a live claim on."
    ),
    limit: int = typer.Option(50, "--limit", help="At most this many."),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Submissions waiting for review: the most urgent first, then the oldest."""
    wanted = parse_priority(priority) if priority is not None else None
    if limit < 1:
        raise fail(f"--limit: must be at least 1, not {limit}", EXIT_USAGE)
    minutes = _claim_minutes()
    with cli_transaction(database_url, command="review") as session:
        items = review_list(
            session, priority=wanted, unclaimed=unclaimed, claim_minutes=minutes, limit=limit
        )
    if as_json:
        print_json([_row(item) for item in items])
    elif not items:
        console.print("nothing waits for review")
    else:
        print_records(
            f"waiting for review, most urgent first ({len(items)})",
            [
                {k: ("yes" if v is True else "" if v is False else v) for k, v in _row(i).items()}
                for i in items
            ],
        )


@app.command()
def show(
    id: str = SubmissionId,
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """One submission in review: the question, the answer, the AI result and its factors,
    and the timeline."""
    submission_id = parse_uuid("ID", id, "a submission id")
    minutes = _claim_minutes()
    with cli_transaction(database_url, command="review") as session:
        record = review_get(session, id=submission_id, claim_minutes=minutes)
        if record is None:
            # Why not: no such submission (NotFound, exit 2), or another state (exit 1).
            review_waiting(session, id=submission_id, claim_minutes=minutes)
    if record is None:
        raise fail(f"submission {submission_id} is not waiting for review", EXIT_FAILURE)
    events = [{"occurred_at": e.occurred_at, "kind": e.kind, "data": e.data} for e in record.events]
    if as_json:
        print_json(
            {
                **_row(record.item),
                "request_id": record.request_id,
                "question": record.question,
                "answer": record.answer,
                "result": record.result,
                "events": events,
            }
        )
        return
    print_table(f"review {submission_id}", ("field", "value"), list(_row(record.item).items()))
    console.print("question", style="bold")
    console.print_json(json.dumps(record.question))
    console.print("answer", style="bold")
    console.print_json(json.dumps(record.answer))
    console.print("AI result", style="bold")
    console.print_json(json.dumps(record.result))
    print_table(
        f"timeline ({len(events)} events)",
        ("occurred_at", "kind", "data"),
        [
            (e["occurred_at"], e["kind"], json.dumps(e["data"], separators=(",", ":")))
            for e in events
        ],
    )


@app.command()
def claim(
    id: str = SubmissionId,
    reviewer: str = typer.Option(..., "--reviewer", help="The reviewer's user id."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Claim a submission for review; a claim older than REVIEW_CLAIM_MINUTES may be taken over."""
    submission_id = parse_uuid("ID", id, "a submission id")
    reviewer_id = parse_uuid("--reviewer", reviewer, "a user id")
    minutes = _claim_minutes()
    try:
        with _refusals(), cli_transaction(database_url, command="review") as session:
            claimed_at = review_claim(
                session, id=submission_id, reviewer=reviewer_id, claim_minutes=minutes
            )
    except ConstraintViolation:
        # The user was deleted for good between the check and the claim.
        raise fail(f"--reviewer: no user {reviewer_id}", EXIT_USAGE) from None
    console.print(
        f"claimed {submission_id} for {reviewer_id} at {claimed_at.isoformat()} "
        f"(for {minutes:g} minutes)"
    )


@app.command()
def submit(
    id: str = SubmissionId,
    reviewer: str = typer.Option(
        ..., "--reviewer", help="The reviewer's user id: an instructor or admin."
    ),
    score: str = typer.Option(
        ...,
        "--score",
        help=f"The reviewer's overall score, {SCORE_MIN}-{SCORE_MAX}, one decimal at most "
        "(kept as given; the final score is rounded to 0.5 once, after the merge).",
    ),
    band: str | None = typer.Option(
        None,
        "--band",
        help=f"The band of the score ({BANDS}; none below 4.0), if given: it must match.",
    ),
    criteria: str | None = typer.Option(
        None, "--criteria", metavar="JSON", help='Criteria scores, e.g. {"grammar": 6.5}.'
    ),
    comment: str | None = typer.Option(None, "--comment", help="The reviewer's comment."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Review a submission: a `review` callback through the one result path.

    Refused (nothing written) unless --reviewer is an active instructor or admin and not
    the submission's learner; the submission must be waiting for review."""
    submission_id = parse_uuid("ID", id, "a submission id")
    reviewer_id = parse_uuid("--reviewer", reviewer, "a user id")
    data: dict[str, Any] = {"reviewerId": str(reviewer_id), "overallScore": _number(score)}
    if band is not None:
        data["band"] = band
    if criteria is not None:
        data["criteriaScores"] = _criteria(criteria)
    if comment is not None:
        data["comment"] = comment
    settings = process_settings()
    with cli_session_factory(database_url, command="review") as factory, _refusals():
        verdict, event_id = review_submit(
            callback_service_from(settings, factory),
            factory,
            submission_id=submission_id,
            reviewer_id=reviewer_id,
            data=data,
            claim_minutes=settings.review_claim_minutes,
            via="cli",
        )
    if verdict is not Verdict.APPLIED:
        raise fail(f"review of {submission_id} not applied: {verdict.value}", EXIT_FAILURE)
    console.print(f"reviewed {submission_id}: {verdict.value} (event {event_id})")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidInput("--score", f"{text!r} is not a number") from None


def _criteria(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("--criteria", f"not JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise InvalidInput("--criteria", "must be a JSON object of criterion: score")
    return value
