"""A simulated reviewer for `make run`: works through the review queue over the signed door.

Like a person with a reviewers' tool: it takes the most urgent unclaimed submission,
claims it, reads the AI result, and posts its own score as a signed ``review`` callback
to ``POST /v1/callbacks`` of `vstep-grading serve`. Mostly it agrees with the AI (a
hybrid result); now and then it does not (the human result stands, with the audit flag).
"""

from __future__ import annotations

import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from sqlalchemy.orm import Session, sessionmaker

from db.review_items import review_get, review_list
from db.review_queue import ClaimHeld, NotInReview, review_claim
from domain.scoring import round_half_up
from workers.web.signature import SIGNATURE_HEADER, sign

# How far the reviewer's score strays from the AI's (in points), and how often.
DISAGREE_SHARE = 0.15
BATCH = 20


class DemoReviewer:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        callbacks_url: str,
        secret: bytes,
        reviewer_id: uuid.UUID,
        claim_minutes: float = 30.0,
        rng: random.Random | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.factory = factory
        self.callbacks_url = callbacks_url
        self.secret = secret
        self.reviewer_id = reviewer_id
        self.claim_minutes = claim_minutes
        self.rng = rng or random.Random()
        self.client = client or httpx.Client(timeout=10.0)
        self.reviewed = 0
        self.refused = 0

    def run_once(self) -> int:
        """Review what waits now, the most urgent first; how many reviews were applied."""
        with self.factory.begin() as session:
            listed = review_list(
                session,
                priority=None,
                unclaimed=False,
                claim_minutes=self.claim_minutes,
                limit=BATCH,
            )
        # Its own claims too: a post the door did not take (serve still starting) is
        # tried again rather than left held for the claim window.
        waiting = [i for i in listed if not i.claim_live or i.claimed_by == self.reviewer_id]
        done = 0
        for item in waiting:
            try:
                with self.factory.begin() as session:
                    review_claim(
                        session,
                        id=item.id,
                        reviewer=self.reviewer_id,
                        claim_minutes=self.claim_minutes,
                    )
                    record = review_get(session, id=item.id, claim_minutes=self.claim_minutes)
            except (ClaimHeld, NotInReview):
                continue
            if record is None:
                continue
            done += self._post(item.id, record.request_id, item.score)
        return done

    def _post(self, sid: uuid.UUID, request_id: uuid.UUID | None, ai: Decimal | None) -> int:
        score = self._score(ai)
        body = json.dumps(
            {
                "eventId": str(uuid.uuid4()),
                "requestId": str(request_id),
                "submissionId": str(sid),
                "kind": "review",
                "occurredAt": datetime.now(UTC).isoformat(),
                "data": {
                    "reviewerId": str(self.reviewer_id),
                    "overallScore": float(score),
                    "comment": "Reviewed in the demo.",
                },
            }
        ).encode()
        response = self.client.post(
            self.callbacks_url,
            content=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(self.secret, body, int(time.time())),
            },
        )
        if response.status_code == 200 and response.json().get("status") == "applied":
            self.reviewed += 1
            return 1
        self.refused += 1
        return 0

    def _score(self, ai: Decimal | None) -> Decimal:
        if ai is None:
            # Nothing to go on but the recording: a score of its own.
            return round_half_up(self.rng.uniform(3.0, 8.0))
        if self.rng.random() < DISAGREE_SHARE:
            shift = self.rng.choice((-2.0, -1.5, 1.5, 2.0))
        else:
            shift = self.rng.choice((-0.5, 0.0, 0.0, 0.5))
        return round_half_up(min(10.0, max(0.0, float(ai) + shift)))

    def close(self) -> None:
        self.client.close()


def review_until(reviewer: DemoReviewer, stop: Callable[[], bool], pause: float = 0.3) -> None:
    """Keep reviewing until ``stop()`` says so; a refused connection (serve still starting)
    is waited out."""
    while not stop():
        with contextlib.suppress(httpx.TransportError):
            reviewer.run_once()
        time.sleep(pause)
