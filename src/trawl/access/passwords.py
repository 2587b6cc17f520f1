"""Password and secret handling: Argon2id for passwords, SHA-256 for random tokens.

Passwords are hashed with Argon2id (memory-hard: a stolen `access.sqlite` costs an attacker
64 MiB and ~0.1 s per guess per core). Session ids and API tokens are 256-bit random values,
so a fast hash is enough: the database stores only their SHA-256, never the value itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 10
# RFC 9106's second recommended option (64 MiB, 3 passes), one lane per core we can expect.
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)


@cache
def _dummy_hash() -> str:
    """Verified against when a name is unknown, so that a wrong name takes as long as a wrong
    password. Made on first use, not at import: it costs one Argon2 hash (~0.1 s), which every
    command that merely imports this module (`trawl search`) would otherwise pay."""
    return _HASHER.hash(secrets.token_hex(16))


def warm_up() -> None:
    """Make the unknown-name hash now (a server's start), so the first login costs no more
    than the others: its time must not tell whether a name exists."""
    _dummy_hash()


def check_password_strength(password: str, user: str = "") -> None:
    """Refuse passwords an attacker would try first; the message is for the user."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if user and user.lower() in password.lower():
        raise ValueError("a password must not contain the account's name")
    if len(set(password)) < 4:
        raise ValueError("a password needs more different characters")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; with no stored hash, the same work, then False."""
    try:
        return _HASHER.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def new_secret(prefix: str = "") -> str:
    """A random bearer secret (session id, API token, CSRF token): 256 bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def generated_password() -> str:
    return secrets.token_urlsafe(15)
