"""Expected enum types and their values, in order (docs/data-model.md)."""

from __future__ import annotations

ENUMS: dict[str, tuple[str, ...]] = {
    "skill": ("listening", "reading", "writing", "speaking"),
    "vstep_band": ("A1", "A2", "B1", "B2", "C1"),
    "user_role": ("learner", "instructor", "admin"),
    "question_format": (
        "writing_task_1",
        "writing_task_2",
        "speaking_part_1",
        "speaking_part_2",
        "speaking_part_3",
        "reading_mcq",
        "reading_tng",
        "reading_matching_headings",
        "reading_gap_fill",
        "listening_mcq",
        "listening_dictation",
    ),
    "question_level": ("A1", "A2", "B1", "B2", "C1"),
    "submission_status": (
        "pending",
        "queued",
        "processing",
        "completed",
        "review_pending",
        "error",
        "retrying",
        "failed",
    ),
    "review_priority": ("low", "medium", "high", "critical"),
    "grading_mode": ("auto", "human", "hybrid"),
    "exam_status": ("in_progress", "submitted", "completed", "abandoned"),
    "streak_direction": ("up", "down", "neutral"),
    "outbox_status": ("pending", "processing", "published", "failed"),
}

# --- tables -----------------------------------------------------------------------
