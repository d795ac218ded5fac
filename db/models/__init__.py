"""Typed models of every table of docs/data-model.md; importing this registers them all on Base."""

from db.models.base import ALL_ENUMS, Base
from db.models.console import ConsoleAudit
from db.models.exams import Exam, ExamAnswer, ExamSession, ExamSubmission
from db.models.outbox import OutboxRow, ProcessedCallback
from db.models.progress import UserGoal, UserProgress, UserSkillScore
from db.models.questions import Question, QuestionVersion
from db.models.submissions import Submission, SubmissionDetail, SubmissionEvent
from db.models.users import RefreshToken, User

__all__ = [
    "ALL_ENUMS",
    "Base",
    "ConsoleAudit",
    "Exam",
    "ExamAnswer",
    "ExamSession",
    "ExamSubmission",
    "OutboxRow",
    "ProcessedCallback",
    "Question",
    "QuestionVersion",
    "RefreshToken",
    "Submission",
    "SubmissionDetail",
    "SubmissionEvent",
    "User",
    "UserGoal",
    "UserProgress",
    "UserSkillScore",
]
