"""`make run`'s console: demo staff accounts to sign in with, and work left for a person.

The simulated reviewer works the demo's queue while it runs; afterwards a few more
writing and speaking answers are submitted through intake, and the pipeline grades them
into the review queue for a person to work in the console. The accounts' passwords are
new on every run and printed once.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from datetime import timedelta

from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from db.session import make_engine, make_session_factory
from db.staff import staff_upsert
from devtools.demo_data import create_demo_content, submit_demo_answer
from domain.enums import Skill, UserRole
from workers.console.passwords import hash_password
from workers.settings import Settings

DEMO_STAFF = (
    ("reviewer@demo.vstep.example", UserRole.INSTRUCTOR),
    ("operator@demo.vstep.example", UserRole.ADMIN),
)
# Writing and speaking answers left for a person to review in the console.
PEOPLE_QUEUE = 12


def announce_console(
    database_url: str, settings: Settings, console: Console, *, queue: int = PEOPLE_QUEUE
) -> None:
    """Write the demo staff accounts (fresh passwords), queue work for them, print how."""
    engine = make_engine(database_url, application_name="vstep-grading demo")
    factory = make_session_factory(engine)
    try:
        signs = []
        for email, role in DEMO_STAFF:
            password = secrets.token_urlsafe(9)
            with factory.begin() as session:
                staff_upsert(session, email=email, role=role, password_hash=hash_password(password))
            signs.append((email, password, role))
        if queue:
            submit_for_people(factory, count=queue, sla=settings.sla())
    finally:
        engine.dispose()
    console.print()
    console.print(f"console: http://{settings.console_host}:{settings.console_port}")
    for email, password, role in signs:
        what = "reviews" if role is UserRole.INSTRUCTOR else "reviews and operates"
        console.print(f"  sign in as {email} / {password}  ({role.value}: {what})")
    if queue:
        console.print(f"  {queue} more writing and speaking answers are being graded for its queue")


def submit_for_people(
    factory: sessionmaker[Session], *, count: int, sla: Mapping[Skill, timedelta]
) -> None:
    with factory.begin() as session:
        users, questions = create_demo_content(session, learners=4, with_texts=True)
    texts = [q for q in questions if q.text_name is not None]
    rng = random.Random()
    for _ in range(count):
        # Weaker answers: most land in review rather than completing on their own.
        submit_demo_answer(factory, rng, users, texts, sla=sla, ability=rng.uniform(0.2, 0.6))
