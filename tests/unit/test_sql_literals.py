"""The names SQL texts write out are the ones Python uses (tests/unit/test_no_assembled_sql.py).

A statement is written whole rather than assembled from a Python constant, so where the two
must agree (the NOTIFY channel the relay LISTENs on, the idle lock's keys, the characters
of a blank answer, the intake functions' defaults) this compares them.
"""

from __future__ import annotations

import codecs
import importlib
import re
import sys
from types import ModuleType

from db.outbox_wakeup import IDLE_LOCK_KEYS, LISTEN_OUTBOX, OUTBOX_CHANNEL
from devtools.dev_commands import CREATE_DEV_DATABASE, DEV_DATABASE
from domain.answers import ANSWER_MAX_BYTES
from domain.sla import DEFAULT_SLA
from migrations.exam_intake_function_v1 import EXAM
from migrations.intake_functions_v1 import SINGLE


def _migration(name: str) -> ModuleType:
    return importlib.import_module(f"migrations.versions.{name}")


def _sql_string(text: str) -> str:
    """The value of the one E'...' literal in ``text``."""
    (literal,) = re.findall(r"E'([^']*)'", text)
    return codecs.decode(literal, "unicode_escape")


def test_the_relay_listens_where_the_triggers_notify() -> None:
    assert LISTEN_OUTBOX.split() == ["LISTEN", OUTBOX_CHANNEL]
    notify = f"PERFORM pg_notify('{OUTBOX_CHANNEL}', '');"
    texts = [
        _migration("0003_outbox_notify").NOTIFY_FUNCTION,
        _migration("0005_outbox_notify_when_idle").NOTIFY_WHEN_IDLE_FUNCTION,
        _migration("0005_outbox_notify_when_idle").NOTIFY_ALWAYS_FUNCTION,
    ]
    for text in texts:
        assert text.count("pg_notify") == 1
        assert notify in text


def test_the_trigger_tries_the_lock_an_idle_relay_holds() -> None:
    classid, objid = IDLE_LOCK_KEYS
    text = _migration("0005_outbox_notify_when_idle").NOTIFY_WHEN_IDLE_FUNCTION
    assert f"pg_try_advisory_xact_lock_shared({classid}, {objid})" in text


def test_a_blank_text_is_white_space_and_the_documented_zero_width_characters() -> None:
    (text_blank,) = [
        text
        for text in _migration("0007_intake_functions").FUNCTIONS
        if "CREATE FUNCTION grading_text_blank" in text
    ]
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    # docs/producer-contract.md: U+200B to U+200D, U+2060, U+FEFF
    invisible = set("\u200b\u200c\u200d\u2060\ufeff")
    blank = _sql_string(text_blank)
    assert len(blank) == len(set(blank))
    assert set(blank) == spaces | invisible


def test_both_intake_functions_default_to_the_documented_sla_and_limit() -> None:
    for text in (SINGLE, EXAM):
        arguments = text[: text.index("RETURNS TABLE")]
        assert f"answer_max_bytes integer DEFAULT {ANSWER_MAX_BYTES}" in arguments
        for skill, sla in DEFAULT_SLA.items():
            minutes = int(sla.total_seconds() // 60)
            default = f"sla_{skill.value} interval DEFAULT interval '{minutes} minutes'"
            assert default in arguments


def test_the_dev_database_created_is_the_one_used() -> None:
    assert CREATE_DEV_DATABASE.split(" ") == ["CREATE", "DATABASE", f'"{DEV_DATABASE}"']
