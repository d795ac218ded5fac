"""Who grades writing and speaking: the built-in grader, in the worker, or an external one.

``GradingService`` takes one ``TextGrader``; which one is decided where processes are
assembled (workers/assembly.py): the external grader when ``AI_GRADER_URL`` is set, the
built-in one otherwise. Both results end in the one result path: the built-in grader's
inside the grading transaction, the external grader's later, as a callback.
"""

from __future__ import annotations

from typing import Protocol

from db.grading import GradingInput, peer_answers
from db.statements import Tx
from domain.builtin_grader import grade_builtin
from domain.confidence import PEER_ANSWERS_COMPARED, Reference
from domain.results import AiResult
from domain.text_measures import warm_up
from workers.ai_grader import GraderRequest

PEER_ANSWER = "answer of another learner"


class TextGrader(Protocol):
    """A grader of writing and speaking, as the grading worker uses one.

    It answers now, with the result, in the grading transaction (which holds the row
    lock); or later: ``grade`` then returns the request, the worker commits processing
    with a grader_requested event and calls ``send`` once committed, and the result comes
    back as a callback. A grader that answers now has nothing to send.
    """

    # What the grader_requested event and the logs call it.
    @property
    def name(self) -> str: ...

    def grade(self, tx: Tx, submission: GradingInput) -> AiResult | GraderRequest: ...

    def send(self, request: GraderRequest) -> None: ...


class BuiltinGrader:
    """domain/builtin_grader.py in the worker, comparing an answer with other learners'
    latest answers to the same question handed in before it (read in the grading
    transaction): of two identical answers, the later one is the copy."""

    name = "builtin"

    def __init__(self, *, peer_answers_compared: int = PEER_ANSWERS_COMPARED) -> None:
        self.peer_answers_compared = peer_answers_compared

    @staticmethod
    def warm_up() -> None:
        """Load the word lists now (a worker at start), not during its first submission."""
        warm_up()

    def grade(self, tx: Tx, submission: GradingInput) -> AiResult:
        peers = (
            peer_answers(
                tx,
                question_id=submission.question_id,
                user_id=submission.user_id,
                before=submission.created_at,
                limit=self.peer_answers_compared,
            )
            if self.peer_answers_compared
            else []
        )
        return grade_builtin(
            submission.question_format,
            submission.question_content,
            submission.answer if submission.answer is not None else {},
            [Reference(PEER_ANSWER, peer.text, str(peer.submission_id)) for peer in peers],
            unanswered=submission.unanswered,
        )

    def send(self, request: GraderRequest) -> None:
        """Nothing goes out: the result was given in the transaction."""


# An unanswered exam part is graded in the worker whatever the grader: nothing to send,
# nothing to compare (an empty answer is no one's copy).
UNANSWERED = BuiltinGrader(peer_answers_compared=0)
