"""The notice outbox: what an outgoing message is, the states it moves through, and the rules
for retrying, holding and settling it. Pure: time and randomness are parameters.

    queued ──claim──▶ sending ──server accepted──▶ sent
      ▲  ◀─temporary failure (backoff)─┤
      │                                ├─permanent rejection──▶ dead ──retry──▶ queued
      │                                ├─lost connection after the final dot──▶ unconfirmed
      │                                └─lease expired (worker died)──▶ unconfirmed
      └── unconfirmed: resolve --resend        unconfirmed: resolve --received ──▶ sent

    held: an exercise message to an outside address; never sent.
"""

from __future__ import annotations

import enum
import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from candor.domain.errors import IllegalTransition, InvalidInput, Problem


class Channel(enum.StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class State(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    UNCONFIRMED = "unconfirmed"
    DEAD = "dead"
    HELD = "held"


class Outcome(enum.StrEnum):
    """What one delivery attempt of one message came to."""

    SENT = "sent"  # the receiver acknowledged it (SMTP 250, HTTP 2xx)
    TEMPORARY = "temporary"  # not transmitted, or refused for now: try again later
    PERMANENT = "permanent"  # refused for good (SMTP 5xx): the address is unreachable
    UNKNOWN = "unknown"  # the connection failed after the message was handed over


@dataclass(frozen=True, slots=True)
class Result:
    key: str
    outcome: Outcome
    detail: str = ""


KEY_MAX = 300
_KEY = re.compile(r"^[\x21-\x7e]{1,300}$")
# deliberately simple: one @, no spaces, a dot in the domain; the SMTP server has the last word
_ADDRESS = re.compile(
    r"^[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


def check_key(key: str, *, field: str = "key") -> str:
    if not _KEY.match(key):
        raise InvalidInput(
            Problem(
                f"must be 1 to {KEY_MAX} printable ASCII characters without spaces",
                field=field,
            )
        )
    return key


def check_address(address: str, *, field: str = "recipient") -> str:
    value = address.strip()
    if not _ADDRESS.match(value) or len(value) > 320:
        raise InvalidInput(Problem(f"{address!r} is not an email address", field=field))
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def inside(address: str, domains: Iterable[str]) -> bool:
    """Whether the address belongs to one of the organisation's domains (or a subdomain)."""
    host = domain_of(address)
    for own in domains:
        own = own.lower().lstrip("@").strip()
        if own and (host == own or host.endswith("." + own)):
            return True
    return False


def message_id(key: str, *, domain: str) -> str:
    """The same idempotency key always gives the same Message-ID, so a receiver (or the
    operator settling an unconfirmed message) can recognise a message sent twice."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential, capped, with jitter: ``base * 2**(attempt-1)``, at most ``cap``, then
    scaled by a factor between 0.5 and 1 so that many failed messages do not retry together."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 12

    def delay(self, attempt: int, *, jitter: float) -> timedelta:
        if not 0.0 <= jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")
        raw = self.base.total_seconds() * 2.0 ** max(0, min(attempt - 1, 60))
        capped = min(raw, self.cap.total_seconds())
        return timedelta(seconds=capped * (0.5 + jitter / 2))


@dataclass(frozen=True, slots=True)
class Message:
    id: uuid.UUID
    key: str
    channel: Channel
    recipient: str
    subject: str
    body: str
    created_at: datetime
    next_attempt_at: datetime
    state: State = State.QUEUED
    incident_id: uuid.UUID | None = None
    exercise: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    last_error: str = ""
    sent_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    updated_at: datetime | None = None


def new_message(
    *,
    id: uuid.UUID,
    key: str,
    channel: Channel | str,
    recipient: str,
    subject: str,
    body: str,
    now: datetime,
    incident_id: uuid.UUID | None = None,
    exercise: bool = False,
    headers: dict[str, str] | None = None,
    own_domains: Iterable[str] = (),
) -> Message:
    """A message ready to store. An exercise message to an address outside the organisation's
    own domains is ``held``: it is kept for the exercise report but never sent."""
    problems: list[Problem] = []
    try:
        chosen = Channel(channel)
    except ValueError:
        raise InvalidInput(
            Problem(f"{channel!r} is not a channel (email, webhook)", field="channel")
        ) from None
    try:
        check_key(key)
    except InvalidInput as exc:
        problems += exc.problems
    if chosen is Channel.EMAIL:
        try:
            recipient = check_address(recipient)
        except InvalidInput as exc:
            problems += exc.problems
        if "\n" in subject or "\r" in subject:
            problems.append(Problem("must be one line", field="subject"))
    elif not recipient.strip():
        problems.append(Problem("is required", field="recipient"))
    for name, value in (headers or {}).items():
        if "\n" in name + value or "\r" in name + value:
            problems.append(Problem("header names and values must be one line", field=name))
    if problems:
        raise InvalidInput(problems)
    held = exercise and (chosen is not Channel.EMAIL or not inside(recipient, own_domains))
    return Message(
        id=id,
        key=key,
        channel=chosen,
        recipient=recipient,
        subject=subject,
        body=body,
        created_at=now,
        next_attempt_at=now,
        state=State.HELD if held else State.QUEUED,
        incident_id=incident_id,
        exercise=exercise,
        headers=dict(headers or {}),
        updated_at=now,
    )


def after_attempt(
    message: Message, result: Result, *, now: datetime, backoff: Backoff, jitter: float
) -> Message:
    """The message after one attempt, from ``sending``."""
    if message.state is not State.SENDING:
        raise IllegalTransition(f"{message.key} is {message.state}, not sending")
    attempts = message.attempts + 1
    base = replace(message, attempts=attempts, lease_owner=None, lease_until=None, updated_at=now)
    match result.outcome:
        case Outcome.SENT:
            return replace(base, state=State.SENT, sent_at=now, last_error="")
        case Outcome.PERMANENT:
            return replace(base, state=State.DEAD, last_error=result.detail)
        case Outcome.UNKNOWN:
            return replace(base, state=State.UNCONFIRMED, last_error=result.detail)
        case Outcome.TEMPORARY:
            if attempts >= backoff.max_attempts:
                return replace(
                    base,
                    state=State.DEAD,
                    last_error=f"gave up after {attempts} attempts: {result.detail}",
                )
            return replace(
                base,
                state=State.QUEUED,
                last_error=result.detail,
                next_attempt_at=now + backoff.delay(attempts, jitter=jitter),
            )
    raise AssertionError(result.outcome)  # pragma: no cover


REMOVED = "removed:"  # retention rewrites a scrubbed message's key to ``<prefix>removed:<id>``


def scrubbed_key(prefix: str, ident: object) -> str:
    """The key of a message whose recipient and text retention removed (``prefix`` ends in a
    colon; ``ident`` is the message's id)."""
    return f"{prefix}{REMOVED}{ident}"


def is_scrubbed(message: Message) -> bool:
    """Whether retention removed the message's recipient and text: it can never be sent.
    (No address holds ``:removed:``, so no other key does.)"""
    return f":{REMOVED}" in message.key


def _sendable(message: Message) -> None:
    if is_scrubbed(message):
        raise IllegalTransition(
            f"{message.key}: its recipient and text were removed under the retention policy; "
            "it cannot be sent again"
        )


def resolve(message: Message, *, received: bool, now: datetime) -> Message:
    """The operator's answer for an unconfirmed message: it arrived, or send it again."""
    if not received:
        _sendable(message)
    if message.state is not State.UNCONFIRMED:
        raise IllegalTransition(
            f"{message.key} is {message.state}; only unconfirmed messages are resolved"
        )
    if received:
        return replace(message, state=State.SENT, sent_at=now, updated_at=now)
    return replace(message, state=State.QUEUED, next_attempt_at=now, updated_at=now)


def retry(message: Message, *, now: datetime) -> Message:
    """Put a dead message back in the queue, with a fresh count of attempts."""
    _sendable(message)
    if message.state is not State.DEAD:
        raise IllegalTransition(f"{message.key} is {message.state}; only dead messages are retried")
    return replace(message, state=State.QUEUED, attempts=0, next_attempt_at=now, updated_at=now)
