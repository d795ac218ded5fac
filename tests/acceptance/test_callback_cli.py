"""`vstep-grading callback list` and the callbacks in `submission show`, as operators run them."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.acceptance.cli import run_cli
from tests.integration.callback_bodies import callback, completed, writing_submission
from workers.results import CallbackService, ResultSettings


def test_callbacks_are_listed_with_their_kind_door_and_effects(
    engine: Engine, session_factory: sessionmaker[Session], child_env: dict[str, str]
) -> None:
    service = CallbackService(session_factory, ResultSettings(spot_check_rate=0))
    sid, rid = writing_submission(session_factory, engine)
    other, other_rid = writing_submission(session_factory, engine)
    progress = callback(sid, rid, "progress", {"progress": 0.5})
    done = completed(sid, rid)
    assert service.apply(progress, via="http") == "applied"
    assert service.apply(done, via="queue") == "applied"
    assert service.apply(completed(other, other_rid), via="queue") == "applied"

    listed = run_cli("callback", "list", "--submission", str(sid), "--json", env=child_env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["event_id"], r["kind"], r["via"]) for r in rows] == [
        (done["eventId"], "completed", "queue"),
        (progress["eventId"], "progress", "http"),
    ]
    assert rows[0]["effects"] == ["completed"]
    assert rows[1]["effects"] == ["progress"]

    only_completed = run_cli("callback", "list", "--kind", "completed", "--json", env=child_env)
    assert {r["submission_id"] for r in json.loads(only_completed.stdout)} == {str(sid), str(other)}
    recent = run_cli("callback", "list", "--since", "1h", "--json", env=child_env)
    assert len(json.loads(recent.stdout)) == 3

    shown = run_cli("submission", "show", str(sid), "--json", env=child_env)
    assert [c["event_id"] for c in json.loads(shown.stdout)["callbacks"]] == [
        done["eventId"],
        progress["eventId"],
    ]
    table = run_cli("submission", "show", str(sid), env={**child_env, "COLUMNS": "250"})
    assert done["eventId"] in table.stdout

    bad = run_cli("callback", "list", "--kind", "finished", env=child_env)
    assert bad.returncode == 2 and "--kind" in bad.stderr
