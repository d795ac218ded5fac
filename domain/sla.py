"""SLA of the automatic grading phase: how long a submission may take before it fails."""

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
