"""Password hashing with argon2id (argon2-cffi), the OWASP-recommended algorithm."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Hasher:
    def __init__(
        self, *, time_cost: int = 3, memory_cost: int = 64 * 1024, parallelism: int = 1
    ) -> None:
        # argon2-cffi's defaults follow RFC 9106's second recommended option; parallelism 1
        # keeps sign-in predictable on small machines
        self._argon = Argon2(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


def fast_hasher() -> Argon2Hasher:
    """Minimal cost, for tests and the demo's seeding only: never for real accounts."""
    return Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)
