"""The callback signature: HMAC of "<t>.<raw body>", a bounded timestamp, refused by class."""

from __future__ import annotations

import pytest

from workers.web.errors import SignatureRejected, status_of
from workers.web.signature import (
    TOLERANCE_SECONDS,
    parse_signature,
    sign,
    verify_signature,
)

SECRET = b"test-secret"
BODY = b'{"eventId": "x"}'
NOW = 1_800_000_000


def check(
    header: str | None, *, body: bytes = BODY, secret: bytes = SECRET, now: float = NOW
) -> None:
    verify_signature(parse_signature(header, now=now), secret=secret, body=body)


def test_a_signed_body_verifies() -> None:
    check(sign(SECRET, BODY, NOW))


@pytest.mark.parametrize("skew", [-TOLERANCE_SECONDS, TOLERANCE_SECONDS])
def test_a_timestamp_at_the_edge_of_the_window_is_taken(skew: int) -> None:
    check(sign(SECRET, BODY, NOW + skew))


@pytest.mark.parametrize("skew", [-TOLERANCE_SECONDS - 1, TOLERANCE_SECONDS + 1])
def test_a_timestamp_outside_the_window_is_refused_either_way(skew: int) -> None:
    with pytest.raises(SignatureRejected, match="away from our clock"):
        check(sign(SECRET, BODY, NOW + skew))


@pytest.mark.parametrize(
    ("header", "body", "secret", "match"),
    [
        (None, BODY, SECRET, "missing"),
        ("", BODY, SECRET, "missing"),
        (f"v1={'a' * 64}", BODY, SECRET, "malformed"),
        (f"t={NOW}", BODY, SECRET, "malformed"),
        (f"t=soon,v1={'a' * 64}", BODY, SECRET, "malformed"),
        (f"t={NOW},v1=xyz", BODY, SECRET, "malformed"),
        (sign(SECRET, BODY, NOW), BODY + b" ", SECRET, "does not match"),
        (sign(SECRET, BODY, NOW), BODY, b"another-secret", "does not match"),
        (sign(SECRET, BODY, NOW).replace(f"t={NOW}", f"t={NOW + 1}"), BODY, SECRET, "does not"),
    ],
    ids=[
        "none",
        "empty",
        "no-t",
        "no-v1",
        "t-not-a-number",
        "v1-not-hex",
        "tampered-body",
        "wrong-secret",
        "t-changed",
    ],
)
def test_a_bad_signature_is_refused(
    header: str | None, body: bytes, secret: bytes, match: str
) -> None:
    with pytest.raises(SignatureRejected, match=match) as refused:
        check(header, body=body, secret=secret)
    assert status_of(refused.value) == 401


def test_one_matching_digest_among_several_is_enough_while_a_secret_rotates() -> None:
    old = sign(b"old-secret", BODY, NOW).split(",v1=")[1]
    check(f"{sign(SECRET, BODY, NOW)},v1={old}")
    check(f"t={NOW},v1={old},{sign(SECRET, BODY, NOW).split(',')[1]}")
