"""`vstep-grading token ...`, run as an operator would."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.models import RefreshToken
from domain.tokens import token_hash
from tests.acceptance.cli import run_cli
from tests.factories import make_user


def test_issue_rotate_reuse_and_revoke_user_from_the_shell(
    session_factory: sessionmaker[Session], child_env: dict[str, str]
) -> None:
    with session_factory.begin() as session:
        user = str(make_user(session))
    issued = run_cli("token", "issue", user, "--ttl", "2h", "--json", env=child_env)
    assert issued.returncode == 0, issued.stderr
    first = json.loads(issued.stdout)["token"]
    rotated = run_cli("token", "rotate", first, "--json", env=child_env)
    assert rotated.returncode == 0, rotated.stderr
    # the rotated token presented again: reuse, refused with exit 1 and the reason
    again = run_cli("token", "rotate", first, env=child_env)
    assert again.returncode == 1 and "already rotated (reuse" in again.stderr
    # an operator revokes what is left: the reuse already did, so nothing
    revoked = run_cli("token", "revoke-user", user, "--json", env=child_env)
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked"] == 0
    run_cli("token", "issue", user, env=child_env)
    revoked = run_cli("token", "revoke-user", user, "--json", env=child_env)
    assert json.loads(revoked.stdout)["revoked"] == 1
    unknown = run_cli("token", "issue", str(uuid.uuid4()), env=child_env)
    assert unknown.returncode == 2 and "no user" in unknown.stderr
    bad = run_cli("token", "revoke-user", "nobody", env=child_env)
    assert bad.returncode == 2 and "'nobody' is not a user id" in bad.stderr


def test_a_token_that_begins_with_a_dash_is_taken_as_the_token(
    session_factory: sessionmaker[Session], child_env: dict[str, str]
) -> None:
    # given a live token whose first character is "-", as URL-safe base64 may begin
    token = "-" + "Cq37AwaLPe9IGEbWduoR7hcuYppAItdhKR88c6rdFs"
    with session_factory.begin() as session:
        user = make_user(session)
        session.execute(
            sa.insert(RefreshToken).values(
                user_id=user,
                token_hash=token_hash(token),
                jti=str(uuid.uuid4()),
                expires_at=sa.func.now() + timedelta(days=1),
            )
        )
    # when the operator types it as it is
    rotated = run_cli("token", "rotate", token, "--json", env=child_env)
    # then it is rotated, not refused as an unknown option
    assert rotated.returncode == 0, rotated.stderr
    assert json.loads(rotated.stdout)["user_id"] == str(user)
