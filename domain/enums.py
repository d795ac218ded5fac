"""The shared enum types, in the order the database declares them (docs/data-model.md)."""

from __future__ import annotations

from enum import StrEnum


class Skill(StrEnum):
    LISTENING = "listening"
    READING = "reading"
    WRITING = "writing"
    SPEAKING = "speaking"


class VstepBand(StrEnum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"


class UserRole(StrEnum):
    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


class QuestionFormat(StrEnum):
    WRITING_TASK_1 = "writing_task_1"
    WRITING_TASK_2 = "writing_task_2"
    SPEAKING_PART_1 = "speaking_part_1"
    SPEAKING_PART_2 = "speaking_part_2"
    SPEAKING_PART_3 = "speaking_part_3"
    READING_MCQ = "reading_mcq"
    READING_TNG = "reading_tng"
    READING_MATCHING_HEADINGS = "reading_matching_headings"
    READING_GAP_FILL = "reading_gap_fill"
    LISTENING_MCQ = "listening_mcq"
    LISTENING_DICTATION = "listening_dictation"


class QuestionLevel(StrEnum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"


class SubmissionStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    REVIEW_PENDING = "review_pending"
    ERROR = "error"
    RETRYING = "retrying"
    FAILED = "failed"


class ReviewPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class GradingMode(StrEnum):
    AUTO = "auto"
    HUMAN = "human"
    HYBRID = "hybrid"


class ExamStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class StreakDirection(StrEnum):
    UP = "up"
    DOWN = "down"
    NEUTRAL = "neutral"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    PUBLISHED = "published"
    FAILED = "failed"


OBJECTIVE_FORMATS: frozenset[QuestionFormat] = frozenset(
    {
        QuestionFormat.READING_MCQ,
        QuestionFormat.READING_TNG,
        QuestionFormat.READING_MATCHING_HEADINGS,
        QuestionFormat.READING_GAP_FILL,
        QuestionFormat.LISTENING_MCQ,
        QuestionFormat.LISTENING_DICTATION,
    }
)

# Which skill each question format belongs to; intake refuses a mismatch.
FORMAT_SKILL: dict[QuestionFormat, Skill] = {
    QuestionFormat.WRITING_TASK_1: Skill.WRITING,
    QuestionFormat.WRITING_TASK_2: Skill.WRITING,
    QuestionFormat.SPEAKING_PART_1: Skill.SPEAKING,
    QuestionFormat.SPEAKING_PART_2: Skill.SPEAKING,
    QuestionFormat.SPEAKING_PART_3: Skill.SPEAKING,
    QuestionFormat.READING_MCQ: Skill.READING,
    QuestionFormat.READING_TNG: Skill.READING,
    QuestionFormat.READING_MATCHING_HEADINGS: Skill.READING,
    QuestionFormat.READING_GAP_FILL: Skill.READING,
    QuestionFormat.LISTENING_MCQ: Skill.LISTENING,
    QuestionFormat.LISTENING_DICTATION: Skill.LISTENING,
}
