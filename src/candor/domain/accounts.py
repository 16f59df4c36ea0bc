"""Accounts: users, sign-in sessions, API tokens and the sign-in throttle.

Secrets never live here in the clear: passwords are hashed by an adapter (argon2id), session and
API tokens are random values of which only the SHA-256 is stored (they carry 256 bits of entropy,
so a slow hash would add nothing but latency to every request).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from candor.domain.access import OrgRole, Scope
from candor.domain.errors import InvalidInput, Problem, ProblemCollector, RateLimited
from candor.domain.incidents import check_person
from candor.domain.vocabulary import parse_enum, require_aware

PASSWORD_MIN = 12
PASSWORD_MAX = 1024
DISPLAY_MAX = 200
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")

# sign-in throttle: after this many failures in the window, wait (doubling per extra failure)
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_BASE_WAIT = timedelta(seconds=30)
THROTTLE_MAX_WAIT = timedelta(minutes=15)
# a client (address) trying many user names is throttled too
CLIENT_FAILURES = 20


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    username: str
    display_name: str
    email: str
    role: OrgRole
    active: bool
    created_at: datetime
    password_hash: str | None = None
    password_changed_at: datetime | None = None

    @property
    def label(self) -> str:
        return self.display_name or self.username


def check_password(password: str, *, username: str = "") -> str:
    """A password policy that follows NIST SP 800-63B: length, not composition rules."""
    problems = ProblemCollector()
    if len(password) < PASSWORD_MIN:
        problems.add(
            f"must be at least {PASSWORD_MIN} characters long",
            field="password",
            hint="a passphrase of several words is easy to remember",
        )
    if len(password) > PASSWORD_MAX:
        problems.add(f"must be at most {PASSWORD_MAX} characters long", field="password")
    if username and password.strip().lower() == username.lower():
        problems.add("must not be the user name", field="password")
    if password and len(set(password)) < 4:
        problems.add("is too repetitive", field="password")
    problems.raise_if_any()
    return password


def new_user(
    *,
    id: uuid.UUID,
    username: str,
    display_name: str = "",
    email: str = "",
    role: OrgRole | str = OrgRole.RESPONDER,
    now: datetime,
) -> User:
    problems = ProblemCollector()
    try:
        name = check_person(username, field="username")
    except InvalidInput as exc:
        problems.extend(exc.problems)
        name = username
    display = display_name.strip()
    if len(display) > DISPLAY_MAX:
        problems.add(f"must be at most {DISPLAY_MAX} characters", field="display_name")
    mail = email.strip()
    if mail and not EMAIL_PATTERN.match(mail):
        problems.add(f"not an e-mail address: {mail!r}", field="email")
    try:
        org_role = parse_enum(OrgRole, role, field="role")
    except InvalidInput as exc:
        problems.extend(exc.problems)
        org_role = OrgRole.VIEWER
    problems.raise_if_any()
    return User(
        id=id,
        username=name,
        display_name=display,
        email=mail,
        role=org_role,
        active=True,
        created_at=require_aware(now, field="now"),
    )


def with_password(user: User, password_hash: str, *, now: datetime) -> User:
    return replace(user, password_hash=password_hash, password_changed_at=now)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    id: uuid.UUID
    user_id: uuid.UUID
    token_hash: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    client: str = ""

    def is_valid(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str  # the first characters, shown so people can tell their tokens apart
    token_hash: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def is_valid(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


TOKEN_PREFIX = "cndr_"  # noqa: S105 - a public prefix that lets scanners spot leaked tokens


def parse_scopes(values: list[str] | tuple[str, ...]) -> frozenset[Scope]:
    if not values:
        raise InvalidInput(Problem("give at least one scope: read, write or admin", field="scopes"))
    scopes = frozenset(parse_enum(Scope, v, field="scopes") for v in values)
    if Scope.WRITE in scopes or Scope.ADMIN in scopes:
        scopes |= {Scope.READ}  # writing without reading is never what anyone means
    return scopes


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    username: str
    client: str
    success: bool


def throttle(attempts: list[Attempt], *, username: str, client: str, now: datetime) -> None:
    """Refuse a sign-in attempt while too many recent ones failed; ``attempts`` are recent ones.

    Failures count since the last success for that user name. The wait doubles with every
    failure past the limit, up to a ceiling, so guessing is slow but a user is never locked out
    for good (which would let anyone lock out anyone).
    """
    since = now - THROTTLE_WINDOW
    recent = sorted((a for a in attempts if a.at >= since), key=lambda a: a.at)

    def same_user(a: Attempt) -> bool:
        return a.username == username

    def same_client(a: Attempt) -> bool:
        return bool(client) and a.client == client

    checks: tuple[tuple[str, int, Callable[[Attempt], bool]], ...] = (
        ("this user name", THROTTLE_FAILURES, same_user),
        ("your address", CLIENT_FAILURES, same_client),
    )
    for subject, limit, match in checks:
        failures: list[Attempt] = []
        for attempt in recent:
            if not match(attempt):
                continue
            if attempt.success:
                failures = []
            else:
                failures.append(attempt)
        if len(failures) >= limit:
            extra = len(failures) - limit
            wait = min(THROTTLE_BASE_WAIT * (2**extra), THROTTLE_MAX_WAIT)
            until = failures[-1].at + wait
            if now < until:
                seconds = max(1, int((until - now).total_seconds()) + 1)
                raise RateLimited(
                    f"too many failed sign-ins for {subject}; try again in {seconds} seconds",
                    retry_after=seconds,
                )
