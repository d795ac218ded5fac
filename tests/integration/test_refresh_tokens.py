"""Refresh-token rotation against docs/scoring.md#refresh-tokens, on a real database."""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.tokens import (
    IssuedToken,
    issue_token,
    refresh_tokens_purge,
    revoke_token,
    revoke_user_tokens,
    rotate_token,
)
from domain.tokens import Presented, TokenRefused
from tests.factories import make_user


@pytest.fixture
def user(session_factory: sessionmaker[Session]) -> uuid.UUID:
    with session_factory.begin() as session:
        return make_user(session)


def issue(factory: sessionmaker[Session], user_id: uuid.UUID, **kw: Any) -> IssuedToken:
    with factory.begin() as session:
        return issue_token(session, user_id=user_id, **kw)


def row(engine: Engine, jti: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT * FROM refresh_tokens WHERE jti = :jti"), {"jti": jti}
        ).one()


def active(engine: Engine, user_id: uuid.UUID) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                sa.text("SELECT jti FROM refresh_tokens WHERE user_id = :u AND revoked_at IS NULL"),
                {"u": user_id},
            ).scalars()
        )


def refused(factory: sessionmaker[Session], token: str) -> Presented:
    with pytest.raises(TokenRefused) as caught:
        rotate_token(factory, token=token)
    return caught.value.reason


def test_only_the_hash_is_stored_and_the_token_is_returned_once(
    session_factory: sessionmaker[Session], engine: Engine, user: uuid.UUID
) -> None:
    issued = issue(session_factory, user, ttl=timedelta(days=7), device_info="phone")
    stored = row(engine, issued.jti)
    assert stored.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in {str(value) for value in stored}
    assert len(issued.token) >= 40 and stored.device_info == "phone"
    assert timedelta(days=6, hours=23) < stored.expires_at - stored.created_at <= timedelta(days=7)


def test_a_valid_token_rotates_into_a_new_one(
    session_factory: sessionmaker[Session], engine: Engine, user: uuid.UUID
) -> None:
    old = issue(session_factory, user)
    new = rotate_token(session_factory, token=old.token)
    assert new.token != old.token and new.user_id == user
    replaced = row(engine, old.jti)
    assert replaced.replaced_by_jti == new.jti and replaced.revoked_at is not None
    assert active(engine, user) == {new.jti}


def test_unknown_and_expired_tokens_are_refused_and_change_nothing(
    session_factory: sessionmaker[Session], engine: Engine, user: uuid.UUID
) -> None:
    live = issue(session_factory, user)
    expired = issue(session_factory, user, ttl=timedelta(seconds=-1))
    assert refused(session_factory, "not-a-token") is Presented.UNKNOWN
    assert refused(session_factory, expired.token) is Presented.EXPIRED
    assert active(engine, user) == {live.jti, expired.jti}


def test_a_logged_out_token_is_refused_and_nothing_else_changes(
    session_factory: sessionmaker[Session], engine: Engine, user: uuid.UUID
) -> None:
    other = issue(session_factory, user)
    out = issue(session_factory, user)
    with session_factory.begin() as session:
        assert revoke_token(session, token=out.token) is True
        assert revoke_token(session, token=out.token) is False
    assert refused(session_factory, out.token) is Presented.REVOKED
    assert active(engine, user) == {other.jti}


def test_reuse_of_a_rotated_token_revokes_every_active_token_of_that_user(
    session_factory: sessionmaker[Session], engine: Engine, user: uuid.UUID
) -> None:
    # given a token rotated once, another device's token, and another user's token
    first = issue(session_factory, user)
    second = rotate_token(session_factory, token=first.token)
    laptop = issue(session_factory, user)
    with session_factory.begin() as session:
        stranger = make_user(session)
    theirs = issue(session_factory, stranger)
    # when the rotated token is presented again
    assert refused(session_factory, first.token) is Presented.REUSED
    # then every active token of that user is revoked, and nobody else's
    assert active(engine, user) == set()
    assert row(engine, second.jti).revoked_at is not None
    assert row(engine, laptop.jti).revoked_at is not None
    assert active(engine, stranger) == {theirs.jti}


def test_two_rotations_of_one_token_at_once_one_wins_the_other_is_reuse(
    session_factory: sessionmaker[Session], engine: Engine, user: uuid.UUID
) -> None:
    token = issue(session_factory, user).token
    start = threading.Barrier(2)
    outcomes: list[IssuedToken | Presented] = []

    def present() -> None:
        start.wait()
        try:
            outcomes.append(rotate_token(session_factory, token=token))
        except TokenRefused as exc:
            outcomes.append(exc.reason)

    threads = [threading.Thread(target=present) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if isinstance(o, IssuedToken)]
    assert len(winners) == 1 and Presented.REUSED in outcomes
    # the reuse revoked what the winner got too: the family is burned
    assert active(engine, user) == set()


def test_revoke_user_and_retention(
    session_factory: sessionmaker[Session], engine: Engine, user: uuid.UUID
) -> None:
    for _ in range(3):
        issue(session_factory, user)
    with session_factory.begin() as session:
        assert revoke_user_tokens(session, user_id=user) == 3
        assert revoke_user_tokens(session, user_id=user) == 0
    keep_active = issue(session_factory, user)
    keep_recent = issue(session_factory, user, ttl=timedelta(days=-10))
    old_expired = issue(session_factory, user, ttl=timedelta(days=-31))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE refresh_tokens SET revoked_at = now() - interval '31 days' "
                "WHERE user_id = :u AND revoked_at IS NOT NULL"
            ),
            {"u": user},
        )
    with session_factory.begin() as session:
        deleted = refresh_tokens_purge(session, older_than=timedelta(days=30), limit=100)
    assert deleted == 4  # the three revoked long ago and the one expired long ago
    with engine.connect() as conn:
        left = set(conn.execute(sa.text("SELECT jti FROM refresh_tokens")).scalars())
    assert left == {keep_active.jti, keep_recent.jti}
    assert old_expired.jti not in left
