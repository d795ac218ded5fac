"""SLA of the automatic grading phase: how long a submission may take before it fails.

The intake functions of migration 0007 take the same values as their defaults (a test
compares them), so a producer calling them in SQL gets these unless it passes its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

from domain.enums import Skill

DEFAULT_SLA: Mapping[Skill, timedelta] = MappingProxyType(
    {
        Skill.LISTENING: timedelta(minutes=5),
        Skill.READING: timedelta(minutes=5),
        Skill.WRITING: timedelta(minutes=20),
        Skill.SPEAKING: timedelta(minutes=60),
    }
)
