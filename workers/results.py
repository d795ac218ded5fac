"""Callbacks through either door end here: the callback actor and ``POST /v1/callbacks``.

One transaction per callback: the submission row locked, the data validated against
its skill, a review's reviewer checked (``db.results.review_guard``), the decision taken
(``domain.results.decide``) and applied with its inbox row (``db.results``). The door
maps the outcome: a ``Verdict``, or NotFound (404), StaleRequest (409), InvalidInput
(422; a refused reviewer too), InfrastructureError (503).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from db.clock import database_now
from db.result_apply import result_apply
from db.results import callback_claim, result_lock, review_guard
from domain.callbacks import incoming_of
from domain.errors import NotFound, StaleRequest
from domain.messages import parse_grading_callback
from domain.results import AiResult, HumanReview, SubmissionState, Verdict, decide
from domain.retries import attempt_number, retry_delay_seconds
from domain.review_rules import SpotChecks
from workers import metrics

log = structlog.get_logger("vstep.results")


@dataclass(frozen=True)
class ResultSettings:
    spot_check_rate: float = 0.05
    # SPOT_CHECK_SEED: the same seed, the same draws; None: a fresh seed.
    spot_check_seed: int | None = None
    progress_throttle_seconds: float = 5.0
    # A grader's retryable errors: the same budget and backoff as the worker's retries.
    max_retries: int = 3
    retry_base_seconds: float = 1.0
    retry_cap_seconds: float = 300.0


class CallbackService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: ResultSettings | None = None,
        *,
        rand: random.Random | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings or ResultSettings()
        # For the retries' jitter; spot checks draw from their own, seeded, generator.
        self.rand = rand or random.Random()
        self.spot_checks = SpotChecks(self.settings.spot_check_rate, self.settings.spot_check_seed)

    def apply(
        self,
        payload: object,
        *,
        via: str,
        source: Mapping[str, Any] | None = None,
        guard: Callable[[Session], None] | None = None,
    ) -> Verdict:
        """Apply one callback body; the verdict, or a domain error for the door to map.

        ``guard`` runs in the transaction once the submission row is locked, and may
        refuse by raising (the review CLI: another reviewer's live claim). A review is
        refused (InvalidInput on data.reviewerId) unless its reviewer is an active
        instructor or admin other than the submission's learner; nothing is written then.
        """
        callback = parse_grading_callback(payload)
        context = log.bind(
            submission_id=str(callback.submission_id),
            request_id=str(callback.request_id),
            event_id=str(callback.event_id),
            kind=callback.kind.value,
            via=via,
        )
        where = {
            "eventId": str(callback.event_id),
            "callbackKind": callback.kind.value,
            "via": via,
            **dict(source or {}),
        }
        with self.session_factory.begin() as session:
            submission = result_lock(session, submission_id=callback.submission_id)
            if submission is None or submission.deleted:
                raise NotFound(f"no submission {callback.submission_id}")
            if guard is not None:
                guard(session)
            incoming = incoming_of(callback, submission.skill)
            if isinstance(incoming, HumanReview):
                review_guard(
                    session, reviewer_id=incoming.reviewer_id, learner_id=submission.user_id
                )
            now = database_now(session)
            decision = decide(
                submission.state,
                incoming,
                request_id=callback.request_id,
                now=now,
                spot_check=isinstance(incoming, AiResult) and self.spot_checks.draw(incoming),
                progress_throttle_seconds=self.settings.progress_throttle_seconds,
                max_retries=self.settings.max_retries,
            )
            if decision.verdict is not Verdict.STALE and not callback_claim(
                session,
                event_id=callback.event_id,
                request_id=callback.request_id,
                submission_id=callback.submission_id,
            ):
                verdict = Verdict.DUPLICATE
            else:
                result_apply(
                    session,
                    submission=submission,
                    decision=decision,
                    incoming=incoming,
                    now=now,
                    source=where,
                    retry_at=self.retry_at(now, submission.state),
                )
                verdict = decision.verdict
        metrics.CALLBACKS.labels(status=verdict.value, kind=callback.kind.value).inc()
        context.info(
            "callback_" + verdict.value, action=decision.action.value, reason=decision.reason
        )
        if verdict is Verdict.STALE:
            raise StaleRequest(
                f"request {callback.request_id} is not the current request of submission "
                f"{callback.submission_id}"
            )
        return verdict

    def retry_at(self, now: datetime, state: SubmissionState) -> datetime:
        """When a retried request may go out: jittered backoff, never past the deadline."""
        pause = retry_delay_seconds(
            attempt_number(state.failures),
            base=self.settings.retry_base_seconds,
            cap=self.settings.retry_cap_seconds,
            until_deadline=(
                (state.deadline - now).total_seconds() if state.deadline is not None else None
            ),
            rand=self.rand,
        )
        return now + timedelta(seconds=pause)
