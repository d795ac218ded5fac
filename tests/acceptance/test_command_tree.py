"""Every command and every option of `vstep-grading`, typed with a good value and a bad one.

The tree is walked from the Typer app itself, so a command or option added without a row
in `TYPED` fails `test_every_option_has_a_good_and_a_bad_value`. These commands run
in-process through the same `main()` a person's shell runs; the long-running process
commands are typed in `test_command_tree_processes.py`. Nowhere a traceback: a good value
runs (exit 0), a bad one is a usage error (exit 2) naming what the person typed.

A line is what follows the command's name, as typed in a shell; `<name>` stands for a row
of the world below (`<review>`: a submission of its own waiting for review, and so on).
"""

from __future__ import annotations

import io
import re
import shlex
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
import typer.main
from sqlalchemy.orm import Session, sessionmaker

from db import migrate
from db.review_queue import review_claim
from db.session import make_engine, make_session_factory
from db.tokens import issue_token
from db.urls import parse_database_url
from devtools import demo_texts as texts
from domain.enums import QuestionFormat, UserRole
from tests.acceptance.reviews import graded, graded_answer
from tests.exam_fixtures import make_exam
from tests.factories import answer_key_of, make_question, make_user, objective_answer
from workers.cli import main as cli_main

PROCESS_COMMANDS = frozenset({"relay", "worker", "scheduler", "serve", "console", "dev"})
TRACEBACK = "Traceback (most recent call last)"
EXIT_USAGE = 2


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if hasattr(command, "commands"):
        for name, sub in sorted(command.commands.items()):
            yield from _leaves(sub, (*path, name))
    else:
        yield " ".join(path), command


def typed_names(command: Any) -> list[str]:
    """What a person types or reads in the usage line: an option's long flag, an
    argument's metavar."""
    names = []
    for param in command.params:
        if param.param_type_name == "argument":
            names.append(param.metavar or param.name.upper())
        else:
            names.append(next(o for o in param.opts if o.startswith("--")))
    return names


TREE: dict[str, Any] = dict(_leaves(typer.main.get_command(cli_main.app)))


# --- the rows the commands find --------------------------------------------------------


@dataclass
class World:
    factory: sessionmaker[Session]
    url: str
    learner: uuid.UUID
    instructor: uuid.UUID
    writing_question: uuid.UUID
    completed: uuid.UUID = field(init=False)
    exam: uuid.UUID = field(init=False)

    def review(self) -> str:
        """A writing submission of its own waiting for review (a run may complete it)."""
        return str(graded(self.factory, self.writing_question, texts.ESSAY_LADDER[3][1]))

    def claimed(self) -> str:
        """The same, claimed by the instructor."""
        sid = self.review()
        with self.factory.begin() as session:
            review_claim(session, id=uuid.UUID(sid), reviewer=self.instructor, claim_minutes=30)
        return sid

    def token(self) -> str:
        with self.factory.begin() as session:
            return issue_token(session, user_id=self.learner).token

    def failed(self) -> str:
        return self._failed()[0]

    def failed_outbox(self) -> str:
        return self._failed()[1]

    def _failed(self) -> tuple[str, str]:
        """A failed submission and its failed outbox row, of their own."""
        sid = graded(self.factory, self.writing_question, texts.ESSAY_LADDER[1][1])
        with self.factory.begin() as session:
            session.execute(
                sa.text("UPDATE submissions SET status = 'failed' WHERE id = :id"),
                {"id": sid},
            )
            outbox = session.execute(
                sa.text(
                    "UPDATE outbox SET status = 'failed', error_message = 'refused' "
                    "WHERE submission_id = :id RETURNING id"
                ),
                {"id": sid},
            ).scalar_one()
        return str(sid), str(outbox)

    def email(self) -> str:
        return f"staff-{uuid.uuid4().hex[:12]}@platform.example"

    def head(self) -> str:
        return str(migrate.current_revision(parse_database_url(self.url)))

    def fill(self, line: str) -> list[str]:
        """The line's words, each `<name>` replaced by the world's row of that name."""

        def value(match: re.Match[str]) -> str:
            found = getattr(self, match.group(1))
            return str(found() if callable(found) else found)

        return [re.sub(r"<(\w+)>", value, word) for word in shlex.split(line)]


@pytest.fixture(scope="module")
def world(cli_migrated_db_url: str) -> Iterator[World]:
    engine = make_engine(cli_migrated_db_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        learner = make_user(session)
        instructor = make_user(session, role=UserRole.INSTRUCTOR)
        writing = make_question(
            session, format=QuestionFormat.WRITING_TASK_2, content=texts.WRITING_TASK_2
        )
        reading = make_question(session, format=QuestionFormat.READING_MCQ)
        key = answer_key_of(session, reading)
    found = World(factory, cli_migrated_db_url, learner, instructor, writing)
    found.completed = graded_answer(factory, reading, objective_answer(key, correct=3))
    found.exam = make_exam(factory).session_id
    yield found
    engine.dispose()


# --- what each command is typed with ---------------------------------------------------


@dataclass(frozen=True)
class Typed:
    """Per option (or argument), a line with a good value and a line with a bad one."""

    good: dict[str, str]
    bad: dict[str, str]
    # Options that take no value (flags), or any text (a note): nothing to type wrong.
    free: tuple[str, ...] = ()


def reading(
    base: str,
    good: dict[str, str],
    bad: dict[str, str],
    *,
    json: bool = True,
    free: tuple[str, ...] = (),
) -> Typed:
    """A database command: every one takes --database-url, most take --json."""
    good = {**good, "--database-url": f"{base} --database-url <url>".strip()}
    bad = {**bad, "--database-url": f"{base} --database-url nope".strip()}
    if json:
        good["--json"] = f"{base} --json".strip()
        free = (*free, "--json")
    return Typed(good, bad, free)


NOT_UUID = "not-a-uuid"
PASSWORD = "a long enough password"

TYPED: dict[str, Typed] = {
    "callback list": reading(
        "",
        {
            "--submission": "--submission <completed>",
            "--kind": "--kind review",
            "--since": "--since 1d",
            "--limit": "--limit 5",
        },
        {
            "--submission": f"--submission {NOT_UUID}",
            "--kind": "--kind gossip",
            "--since": "--since yesterday",
            "--limit": "--limit 0",
        },
    ),
    "db current": reading("", {}, {}, json=False),
    "db upgrade": reading("", {"REVISION": "head"}, {"REVISION": "bogus"}, json=False),
    "db downgrade": reading(
        "<head> --yes",
        {"REVISION": "<head> --yes", "--yes": "<head> -y"},
        {"REVISION": "bogus --yes"},
        json=False,
        free=("--yes",),
    ),
    "exam list": reading(
        "",
        {"--status": "--status submitted", "--user": "--user <learner>", "--limit": "--limit 3"},
        {"--status": "--status graded", "--user": f"--user {NOT_UUID}", "--limit": "--limit 0"},
    ),
    "exam show": reading("<exam>", {"SESSION": "<exam>"}, {"SESSION": NOT_UUID}),
    "exam submit": reading("<exam>", {"SESSION": "<exam>"}, {"SESSION": NOT_UUID}),
    "outbox list": reading(
        "",
        {
            "--status": "--status failed",
            "--message-type": "--message-type grading.request",
            "--limit": "--limit 5",
        },
        {
            "--status": "--status lost",
            "--limit": "--limit 0",
        },
        # any type: a row another service wrote may carry one we have no route for
        free=("--message-type",),
    ),
    "outbox purge": reading(
        "--older-than 7d", {"--older-than": "--older-than 7d"}, {"--older-than": "--older-than 7"}
    ),
    "outbox retry": reading(
        "<failed_outbox>",
        {
            "ID": "<failed_outbox>",
            "--all-failed": "--all-failed",
            "--message-type": "--all-failed --message-type grading.request",
            "--older-than": "--all-failed --older-than 2h",
        },
        {
            "ID": NOT_UUID,
            "--older-than": "--all-failed --older-than soon",
        },
        free=("--all-failed", "--message-type"),
    ),
    "outbox show": reading("<failed_outbox>", {"ID": "<failed_outbox>"}, {"ID": NOT_UUID}),
    "outbox stats": reading("", {}, {}),
    "review claim": reading(
        "<review> --reviewer <instructor>",
        {
            "ID": "<review> --reviewer <instructor>",
            "--reviewer": "<review> --reviewer <instructor>",
        },
        {
            "ID": f"{NOT_UUID} --reviewer <instructor>",
            "--reviewer": f"<review> --reviewer {NOT_UUID}",
        },
        json=False,
    ),
    "review list": reading(
        "",
        {"--priority": "--priority high", "--unclaimed": "--unclaimed", "--limit": "--limit 5"},
        {"--priority": "--priority urgent", "--limit": "--limit 0"},
        free=("--unclaimed",),
    ),
    "review show": reading("<review>", {"ID": "<review>"}, {"ID": NOT_UUID}),
    "review submit": reading(
        "<claimed> --reviewer <instructor> --score 6",
        {
            "ID": "<claimed> --reviewer <instructor> --score 6",
            "--reviewer": "<claimed> --reviewer <instructor> --score 6",
            "--score": "<claimed> --reviewer <instructor> --score 6.3",
            "--band": "<claimed> --reviewer <instructor> --score 6 --band B2",
            "--criteria": "<claimed> --reviewer <instructor> --score 6 "
            "--criteria '{\"grammar\": 6}'",
            "--comment": "<claimed> --reviewer <instructor> --score 6 --comment 'Clear essay.'",
        },
        {
            "ID": f"{NOT_UUID} --reviewer <instructor> --score 6",
            "--reviewer": f"<claimed> --reviewer {NOT_UUID} --score 6",
            "--score": "<claimed> --reviewer <instructor> --score 11",
            "--band": "<claimed> --reviewer <instructor> --score 6 --band A1",
            "--criteria": "<claimed> --reviewer <instructor> --score 6 --criteria '{grammar'",
        },
        json=False,
        free=("--comment",),
    ),
    "staff add": reading(
        "<email> --role instructor",
        {"EMAIL": "<email> --role admin", "--role": "<email> --role instructor"},
        {"EMAIL": "nobody --role admin", "--role": "<email> --role learner"},
        json=False,
    ),
    "submission list": reading(
        "",
        {
            "--status": "--status failed",
            "--user": "--user <learner>",
            "--skill": "--skill writing",
            "--limit": "--limit 5",
            "--include-deleted": "--include-deleted",
            "--stuck": "--stuck",
        },
        {
            "--status": "--status done",
            "--user": f"--user {NOT_UUID}",
            "--skill": "--skill cooking",
            "--limit": "--limit 0",
        },
        free=("--include-deleted", "--stuck"),
    ),
    "submission retry": reading(
        "--status failed --older-than 30d",
        {
            "ID": "<failed>",
            "--status": "--status failed --older-than 30d",
            "--reason": "--status failed --reason TIMEOUT",
            "--skill": "--status failed --skill writing --older-than 30d",
            "--older-than": "--status retrying --older-than 2h",
            "--by": "<failed> --by ops",
            "--note": "<failed> --note 'key mended'",
            "--dry-run": "--status failed --dry-run",
        },
        {
            "ID": NOT_UUID,
            "--status": "--status completed",
            "--reason": "--status failed --reason BORED",
            "--skill": "--status failed --skill cooking",
            "--older-than": "--status failed --older-than later",
        },
        free=("--by", "--note", "--dry-run"),
    ),
    "submission show": reading("<completed>", {"ID": "<completed>"}, {"ID": NOT_UUID}),
    "token issue": reading(
        "<learner>",
        {
            "USER": "<learner>",
            "--ttl": "<learner> --ttl 1d",
            "--device": "<learner> --device phone",
        },
        {"USER": NOT_UUID, "--ttl": "<learner> --ttl forever"},
        free=("--device",),
    ),
    "token revoke": reading("<token>", {"TOKEN": "<token>"}, {"TOKEN": "''"}, json=False),
    "token revoke-user": reading("<learner>", {"USER": "<learner>"}, {"USER": NOT_UUID}),
    "token rotate": reading(
        "<token>",
        {"TOKEN": "<token>", "--ttl": "<token> --ttl 2h"},
        {"TOKEN": "''", "--ttl": "<token> --ttl 0s"},
    ),
}


def test_every_option_has_a_good_and_a_bad_value() -> None:
    missing = []
    for path, command in TREE.items():
        if path.split()[0] in PROCESS_COMMANDS:
            continue
        typed = TYPED.get(path)
        for name in typed_names(command):
            if typed is None or name not in typed.good:
                missing.append(f"{path} {name}: no good value")
            if typed is None or (name not in typed.bad and name not in typed.free):
                missing.append(f"{path} {name}: no bad value")
    assert not missing, "\n".join(missing)


# --- running them as a shell would -------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run(words: list[str], monkeypatch: pytest.MonkeyPatch, url: str) -> Ran:
    """`vstep-grading WORDS` in-process, through the console script's `main()`."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr("sys.argv", ["vstep-grading", *words])
    # A person at a terminal answers a password prompt (`staff add`) with a good one, twice.
    answers = io.StringIO(f"{PASSWORD}\n" * 2)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": answers.readline().rstrip("\n"))
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            cli_main.main()
        except SystemExit as exc:
            code = exc.code
    return Ran(
        code if isinstance(code, int) else (0 if code is None else 1),
        out.getvalue(),
        err.getvalue(),
    )


def _cases(kind: str) -> list[Any]:
    cases = []
    for path, typed in sorted(TYPED.items()):
        lines = typed.good if kind == "good" else typed.bad
        for name, line in sorted(lines.items()):
            cases.append(pytest.param(path, name, line, id=f"{path} {name}"))
    return cases


@pytest.mark.parametrize(("path", "name", "line"), _cases("good"))
def test_a_good_value_runs(
    path: str, name: str, line: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = [*path.split(), *world.fill(line)]
    ran = run(words, monkeypatch, world.url)
    assert TRACEBACK not in ran.out + ran.err
    assert ran.code == 0, f"vstep-grading {shlex.join(words)}: exit {ran.code}\n{ran.err}"


@pytest.mark.parametrize(("path", "name", "line"), _cases("bad"))
def test_a_bad_value_is_a_usage_error_naming_it(
    path: str, name: str, line: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = [*path.split(), *world.fill(line)]
    ran = run(words, monkeypatch, world.url)
    said = ran.err.strip()
    assert TRACEBACK not in ran.out + said
    assert ran.code == EXIT_USAGE, f"vstep-grading {shlex.join(words)}: exit {ran.code}\n{said}"
    assert name in said, f"vstep-grading {shlex.join(words)} does not name {name}:\n{said}"
    # one line of ours, or Typer's usage panel (which starts with the usage line)
    assert len(said.splitlines()) == 1 or said.startswith("Usage:"), said


@pytest.mark.parametrize(
    ("line", "row"),
    [
        ("exam list", "exam"),
        ("submission list", "completed"),
        ("review list", "review"),
        ("callback list", "completed"),
        ("outbox list --status failed", "failed_outbox"),
    ],
)
def test_ids_are_never_cut_in_a_table(
    line: str, row: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a row to list (a callback of the completed submission: a review of it)
    wanted = world.fill(f"<{row}>")[0]
    if line == "callback list":
        sid = world.claimed()
        wanted = sid
        reviewed = run(
            ["review", "submit", sid, "--reviewer", str(world.instructor), "--score", "6"],
            monkeypatch,
            world.url,
        )
        assert reviewed.code == 0, reviewed.err
    # when an operator lists them in an 80-column terminal
    ran = run(shlex.split(line), monkeypatch, world.url)
    # then every id is whole, ready to copy into the next command
    assert ran.code == 0, ran.err
    assert wanted in ran.out, ran.out


def test_version_and_the_development_tools_hint(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = run(["--version"], monkeypatch, world.url)
    assert (ran.code, ran.out.strip()) == (0, "vstep-grading 0.1.0")
    helped = run(["dev", "--help"], monkeypatch, world.url)
    assert "vstep-grading[embedded]" in " ".join(helped.out.split())


@pytest.mark.parametrize("command", ["show", "claim", "submit"])
def test_a_state_that_says_no_exits_1_and_an_id_naming_nothing_exits_2(
    command: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    more = {"show": [], "claim": ["--reviewer", str(world.instructor)]}.get(
        command, ["--reviewer", str(world.instructor), "--score", "6"]
    )
    # a submission that is not waiting for review: the state refuses (exit 1)
    done = run(["review", command, str(world.completed), *more], monkeypatch, world.url)
    assert done.code == 1, done.err
    assert "is not waiting for review" in done.err
    # an id that names no submission: a usage error (exit 2)
    nothing = run(["review", command, str(uuid.uuid4()), *more], monkeypatch, world.url)
    assert nothing.code == 2, nothing.err
