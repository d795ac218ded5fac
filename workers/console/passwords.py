"""Staff passwords: argon2id PHC strings, verified and written by argon2-cffi only.

The platform writes ``$argon2id$v=19$m=65536,t=3,p=1$...``; ours are the same parameters,
so a platform hash is left alone and an older one (weaker parameters, another variant)
is rewritten after a successful sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# The platform's parameters: 64 MiB, three passes, one lane.
HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1, type=Type.ID)
# Verified against when no account matches, so an unknown email costs the same time.
_DUMMY_HASH = HASHER.hash("no account has this password")
# Shortest password `staff add` accepts.
MIN_PASSWORD_CHARS = 10


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with no hash, the same work and False."""
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False
