"""Parsing of the CLI's arguments: a bad value is a usage error naming the option (exit 2)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import typer

from domain.enums import ExamStatus, ReviewPriority, Skill, SubmissionStatus
from domain.failures import FAILURE_REASONS
from domain.states import STALL_ELIGIBLE
from workers.cli.durations import parse_duration
from workers.cli.output import EXIT_USAGE, fail

STATUSES = ", ".join(status.value for status in SubmissionStatus)
SKILLS = ", ".join(skill.value for skill in Skill)
PRIORITIES = ", ".join(priority.value for priority in ReviewPriority)
EXAM_STATUSES = ", ".join(status.value for status in ExamStatus)
# An operator retries what failed, or what may have stalled; nothing else.
RETRYABLE = tuple(
    status for status in SubmissionStatus if status in STALL_ELIGIBLE | {SubmissionStatus.FAILED}
)
RETRYABLE_STATUSES = ", ".join(status.value for status in RETRYABLE)
REASONS = ", ".join(FAILURE_REASONS)


def parse_uuid(option: str, text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise fail(f"{option}: {text!r} is not {what} (a UUID)", EXIT_USAGE) from None


def parse_status(text: str) -> SubmissionStatus:
    try:
        return SubmissionStatus(text)
    except ValueError:
        raise fail(
            f"--status: {text!r} is not a submission status ({STATUSES})", EXIT_USAGE
        ) from None


def parse_retryable_status(text: str) -> SubmissionStatus:
    for status in RETRYABLE:
        if status.value == text:
            return status
    raise fail(
        f"--status: {text!r} is not a status an operator retries ({RETRYABLE_STATUSES})",
        EXIT_USAGE,
    )


def parse_failure_reason(text: str) -> str:
    if text not in FAILURE_REASONS:
        raise fail(f"--reason: {text!r} is not a failure reason ({REASONS})", EXIT_USAGE)
    return text


def parse_text(option: str, text: str) -> str:
    """A value that must say something: not empty, not only blanks."""
    if not text.strip():
        raise fail(f"{option}: must not be empty", EXIT_USAGE)
    return text


def parse_skill(text: str) -> Skill:
    try:
        return Skill(text)
    except ValueError:
        raise fail(f"--skill: {text!r} is not a skill ({SKILLS})", EXIT_USAGE) from None


def parse_priority(text: str) -> ReviewPriority:
    try:
        return ReviewPriority(text)
    except ValueError:
        raise fail(f"--priority: {text!r} is not a priority ({PRIORITIES})", EXIT_USAGE) from None


def parse_exam_status(text: str) -> ExamStatus:
    try:
        return ExamStatus(text)
    except ValueError:
        raise fail(
            f"--status: {text!r} is not an exam status ({EXAM_STATUSES})", EXIT_USAGE
        ) from None


def parse_duration_option(option: str, text: str) -> timedelta:
    try:
        return parse_duration(text)
    except typer.BadParameter as exc:
        raise fail(f"{option}: {exc.message}", EXIT_USAGE) from None
