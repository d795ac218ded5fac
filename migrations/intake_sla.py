"""The SLA and answer-limit arguments both versioned intake functions take, with defaults
equal to domain/sla.DEFAULT_SLA and domain/answers.ANSWER_MAX_BYTES (a test compares)."""

from __future__ import annotations

SLA_ARGUMENTS = """
    sla_listening interval DEFAULT interval '5 minutes',
    sla_reading interval DEFAULT interval '5 minutes',
    sla_writing interval DEFAULT interval '20 minutes',
    sla_speaking interval DEFAULT interval '60 minutes',
    answer_max_bytes integer DEFAULT 262144
"""
