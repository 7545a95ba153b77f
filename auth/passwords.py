"""Password hashing with argon2id, and the strength a new password must have.

argon2 is slow on purpose and holds a CPU (and 64 MiB) per check, so a request
hashes and checks with ``new_hash`` and ``matches``: on a pool of threads as large as
the machine has CPUs, never on the event loop, which goes on serving other requests
while sign-ins queue for the pool.
"""

from __future__ import annotations

import asyncio
import os
import unicodedata
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from domain.validators import InvalidValue

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_SCORE = 3  # zxcvbn: 0 (too guessable) … 4 (very unguessable)
_SCORED_PREFIX = 72  # zxcvbn's own limit; a longer password is judged by its start

_hasher = PasswordHasher()  # argon2id with the library's current recommended costs

# Verified against when the e-mail matches no account, so that an unknown e-mail
# costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("causa: no such account")

CHECKS_AT_ONCE = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
_checks = ThreadPoolExecutor(max_workers=CHECKS_AT_ONCE, thread_name_prefix="argon2")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def new_hash(password: str) -> str:
    """``hash_password`` off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_checks, hash_password, password)


async def matches(password_hash: str | None, password: str) -> bool:
    """``verify_password`` off the event loop; None checks against a dummy hash."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_checks, verify_password, password_hash, password)


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in text)


def check_strength(password: str, *, email: str, name: str = "", field: str = "password") -> None:
    """Refuse a password that is short, overlong, the e-mail itself, or easy to guess."""
    if len(password) < MIN_LENGTH:
        raise InvalidValue(field, f"The password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise InvalidValue(field, f"The password may have at most {MAX_LENGTH} characters.")
    if has_control_characters(password):
        raise InvalidValue(field, "The password must not contain control characters.")
    if password.strip().lower() == email.strip().lower():
        raise InvalidValue(field, "The password must not be the e-mail address.")
    local_part = email.partition("@")[0]
    verdict = zxcvbn(password[:_SCORED_PREFIX], user_inputs=[email, local_part, *name.split()])
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        hints = " ".join(filter(None, [feedback["warning"], *feedback["suggestions"]]))
        raise InvalidValue(
            field, f"The password is too easy to guess. {hints or 'Make it longer.'}".strip()
        )
