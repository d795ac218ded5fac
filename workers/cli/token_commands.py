"""`vstep-grading token issue|rotate|revoke|revoke-user`: refresh tokens (db/tokens.py).

`revoke-user` is the operators' command for a compromised account. The others let a
person or a script try the rotation rules from a shell; the platform's own services call
``db/tokens.py`` (or write the same rows) themselves.
"""

from __future__ import annotations

import typer

from db.tokens import (
    DEFAULT_TTL,
    IssuedToken,
    issue_token,
    revoke_token,
    revoke_user_tokens,
    rotate_token,
)
from domain.errors import ConstraintViolation
from domain.tokens import TokenRefused
from workers.cli.arguments import parse_duration_option, parse_text, parse_uuid
from workers.cli.database import DatabaseUrl, Json, cli_session_factory, cli_transaction
from workers.cli.durations import HELP as DURATION_HELP
from workers.cli.output import EXIT_FAILURE, EXIT_USAGE, console, fail, print_json

app = typer.Typer(help="Refresh tokens: issue, rotate, revoke.", no_args_is_help=True)
TTL_HELP = f"How long the token lives ({DURATION_HELP}); default 30 days."


# A token is URL-safe base64 and may begin with "-": click must take it as TOKEN, not as
# an unknown option.
TOKEN_MAY_START_WITH_DASH = {"ignore_unknown_options": True}


def _print(issued: IssuedToken, as_json: bool) -> None:
    fields = {
        "token": issued.token,
        "jti": issued.jti,
        "user_id": issued.user_id,
        "expires_at": issued.expires_at,
    }
    if as_json:
        print_json(fields)
    else:
        for name, value in fields.items():
            console.print(f"{name}: {value}", highlight=False)


@app.command()
def issue(
    user: str = typer.Argument(..., metavar="USER", help="The user's id."),
    ttl: str | None = typer.Option(None, "--ttl", metavar="DURATION", help=TTL_HELP),
    device: str | None = typer.Option(None, "--device", help="Device information to keep."),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Issue a refresh token for USER; the token is printed once and never stored."""
    user_id = parse_uuid("USER", user, "a user id")
    lifetime = parse_duration_option("--ttl", ttl) if ttl is not None else DEFAULT_TTL
    try:
        with cli_transaction(database_url, command="token") as session:
            issued = issue_token(session, user_id=user_id, ttl=lifetime, device_info=device)
    except ConstraintViolation:
        raise fail(f"USER: no user {user_id}", EXIT_USAGE) from None
    _print(issued, as_json)


@app.command(context_settings=TOKEN_MAY_START_WITH_DASH)
def rotate(
    token: str = typer.Argument(..., metavar="TOKEN", help="The refresh token presented."),
    ttl: str | None = typer.Option(None, "--ttl", metavar="DURATION", help=TTL_HELP),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Rotate TOKEN: a new token, the old one replaced; exit 1 naming why when refused."""
    parse_text("TOKEN", token)
    lifetime = parse_duration_option("--ttl", ttl) if ttl is not None else DEFAULT_TTL
    with cli_session_factory(database_url, command="token") as factory:
        try:
            issued = rotate_token(factory, token=token, ttl=lifetime)
        except TokenRefused as exc:
            raise fail(str(exc), EXIT_FAILURE) from None
    _print(issued, as_json)


@app.command(context_settings=TOKEN_MAY_START_WITH_DASH)
def revoke(
    token: str = typer.Argument(..., metavar="TOKEN", help="The refresh token to revoke."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Revoke one token (a logout); exit 1 when it was unknown or not active."""
    parse_text("TOKEN", token)
    with cli_transaction(database_url, command="token") as session:
        revoked = revoke_token(session, token=token)
    if not revoked:
        raise fail("no active refresh token matches", EXIT_FAILURE)
    console.print("revoked")


@app.command("revoke-user")
def revoke_user(
    user: str = typer.Argument(..., metavar="USER", help="The user's id."),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Revoke every active refresh token of USER (a compromised account)."""
    user_id = parse_uuid("USER", user, "a user id")
    with cli_transaction(database_url, command="token") as session:
        count = revoke_user_tokens(session, user_id=user_id)
    if as_json:
        print_json({"user_id": user_id, "revoked": count})
    else:
        console.print(f"revoked {count} active refresh token(s) of {user_id}")
