"""Passwords: Argon2id at RFC 9106's low-memory profile (above OWASP's minimum), and the
rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from marketplace.domain import RuleViolationError

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
#: Verified against when no account has the e-mail, so that both cases take as long.
_DECOY = _hasher.hash("not a password of anyone's, only a decoy")


class PasswordTooWeakError(RuleViolationError):
    """A password must be long enough to resist guessing."""


def require_acceptable(password: str, email: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordTooWeakError(f"use a password of at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordTooWeakError(f"use a password of at most {MAX_LENGTH} characters")
    if password.strip().lower() == email.strip().lower():
        raise PasswordTooWeakError("the password may not be your e-mail address")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DECOY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
