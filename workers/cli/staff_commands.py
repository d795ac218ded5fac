"""`vstep-grading staff add EMAIL --role instructor|admin`: a staff account for the console.

Creates the account or promotes the live one with that email, and sets its password
from a prompt (never an argument: arguments end up in shell history and process lists).
The password is stored as an argon2id PHC string, as the platform writes it; the change
gets a ``console_audit`` row.
"""

from __future__ import annotations

import getpass

import typer

from db.console_audit import Actor, audit_append
from db.staff import staff_upsert
from domain.enums import UserRole
from domain.errors import InvalidInput
from workers.cli.database import DatabaseUrl, cli_transaction
from workers.cli.output import console
from workers.console.passwords import MIN_PASSWORD_CHARS, hash_password

app = typer.Typer(help="Staff accounts of the web console.", no_args_is_help=True)
ROLES = {"instructor": UserRole.INSTRUCTOR, "admin": UserRole.ADMIN}


def _password() -> str:
    first = typer.prompt("password", hide_input=True)
    if len(first) < MIN_PASSWORD_CHARS:
        raise InvalidInput("password", f"must be at least {MIN_PASSWORD_CHARS} characters")
    again = typer.prompt("password again", hide_input=True)
    if again != first:
        raise InvalidInput("password", "the two entries differ")
    return str(first)


@app.command()
def add(
    email: str = typer.Argument(..., metavar="EMAIL", help="The account's email."),
    role: str = typer.Option(
        ..., "--role", help="instructor (reviews) or admin (reviews, operates)."
    ),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Create or promote a staff account; its password is asked for (typed twice)."""
    wanted = ROLES.get(role)
    if wanted is None:
        raise InvalidInput("--role", f"{role!r} is not instructor or admin")
    if "@" not in email or len(email) > 255:
        raise InvalidInput("EMAIL", f"{email!r} is not an email address")
    password_hash = hash_password(_password())
    with cli_transaction(database_url, command="staff") as session:
        user_id, created = staff_upsert(
            session, email=email, role=wanted, password_hash=password_hash
        )
        audit_append(
            session,
            actor=Actor(None, f"cli:{getpass.getuser()}"),
            action="staff.add",
            target={"userIds": [str(user_id)], "email": email},
            outcome="done",
            detail={"role": wanted.value, "created": created},
        )
    console.print(f"{'created' if created else 'updated'} {wanted.value} {email} ({user_id})")
