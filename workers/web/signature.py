"""Signed callbacks: ``X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``.

The HMAC covers ``"<t>.<raw body>"`` keyed with CALLBACK_SECRET, so it is checked on the
bytes as they arrived, before anything parses them; ``t`` bounds how long a captured
request can be replayed. The sender's clock is compared with this host's, the only
clock at hand before the body is trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from workers.web.errors import SignatureRejected

SIGNATURE_HEADER = "X-Signature"
# How far ``t`` may be from our clock, either way, in seconds.
TOLERANCE_SECONDS = 300
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class Signature:
    timestamp: int
    # Every v1 the sender gave: one per secret while it rotates them.
    digests: tuple[str, ...]


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The header value a sender writes for ``body`` at ``timestamp``."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def parse_signature(header: str | None, *, now: float) -> Signature:
    """The header's timestamp and digests; SignatureRejected when missing, malformed or
    too far from ``now`` (checked before the body is read)."""
    if not header:
        raise SignatureRejected(f"missing {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    digests: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and _UNIX_SECONDS.fullmatch(value):
            timestamp = int(value)
        elif key == "v1" and _HEX_DIGEST.fullmatch(value):
            digests.append(value.lower())
    if timestamp is None or not digests:
        raise SignatureRejected(f"malformed {SIGNATURE_HEADER} header (t=<unix seconds>,v1=<hex>)")
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureRejected(
            f"signature timestamp more than {TOLERANCE_SECONDS} s away from our clock"
        )
    return Signature(timestamp, tuple(digests))


def verify_signature(signature: Signature, *, secret: bytes, body: bytes) -> None:
    """SignatureRejected unless one digest is the HMAC of ``body`` (constant-time compare)."""
    expected = _digest(secret, signature.timestamp, body)
    # Every digest is compared, so the time taken says nothing about which one was close.
    matched = [hmac.compare_digest(expected, given) for given in signature.digests]
    if not any(matched):
        raise SignatureRejected("signature does not match the body")


def _digest(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, b"%d." % timestamp + body, hashlib.sha256).hexdigest()
