"""Per command of `vstep-grading`, each option typed with a good value and a bad one.

A line is what follows the command's name, as typed in a shell; `<name>` stands for a row
of the world the tests build (`tests.acceptance.command_world`).
"""

from __future__ import annotations

from dataclasses import dataclass

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
