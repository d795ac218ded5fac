"""The demo producer of `make run` writes through intake with the configured SLA."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from devtools.demo import produce
from devtools.demo_report import DemoReport
from domain.enums import Skill


def test_demo_submissions_get_the_configured_sla_as_their_deadline(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given an SLA unlike the defaults, as SLA_*_MINUTES would configure it
    sla = {skill: timedelta(minutes=7) for skill in Skill}
    # when the demo submits a few answers
    report = DemoReport()
    produce(session_factory, count=5, learners=2, seconds=0, sla=sla, report=report)
    # then each submission's deadline is its creation plus that SLA
    with engine.connect() as conn:
        allowances = (
            conn.execute(sa.text("SELECT deadline - created_at FROM submissions")).scalars().all()
        )
    assert report.submitted == 5
    assert allowances == [timedelta(minutes=7)] * 5
