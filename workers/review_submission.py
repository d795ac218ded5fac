"""A reviewer's review as a ``review`` callback through ``CallbackService``, the one result path.

The console and `vstep-grading review submit` post reviews here; the merge with the AI
result, the audit flag and the single finalization hold exactly as for a reviewer's tool
posting to ``/v1/callbacks``.
The reviewer's claim is checked under the submission's row lock, where claims are taken,
so a claim cannot slip in between the check and the review.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from db.review_queue import review_check_claim, review_waiting
from domain.results import Verdict
from workers.results import CallbackService


def review_submit(
    service: CallbackService,
    factory: sessionmaker[Session],
    *,
    submission_id: uuid.UUID,
    reviewer_id: uuid.UUID,
    data: Mapping[str, Any],
    claim_minutes: float,
    via: str,
) -> tuple[Verdict, str]:
    """Apply the review; the verdict and the callback's eventId.

    Raises NotFound (no such submission), NotInReview (another state), ClaimHeld
    (another reviewer holds it), InvalidInput (a reviewer who may not review, a bad score).
    """
    with factory.begin() as session:
        request_id = review_waiting(session, id=submission_id, claim_minutes=claim_minutes)
    event_id = str(uuid.uuid4())
    callback = {
        "eventId": event_id,
        "requestId": str(request_id),
        "submissionId": str(submission_id),
        "kind": "review",
        "occurredAt": datetime.now(UTC).isoformat(),
        "data": {**data, "reviewerId": str(reviewer_id)},
    }
    verdict = service.apply(
        callback,
        via=via,
        source={"reviewerId": str(reviewer_id)},
        guard=partial(
            review_check_claim, id=submission_id, reviewer=reviewer_id, claim_minutes=claim_minutes
        ),
    )
    return verdict, event_id
