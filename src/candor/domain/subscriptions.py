"""Who receives Candor's outgoing notices besides named contacts: webhook endpoints that admins
register, and people who subscribe to the public status updates (double opt-in)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from candor.domain.errors import IllegalTransition, InvalidInput, Problem

DEFAULT_AUDIENCE = "status"
# a form that anyone may fill in must not become a way to flood someone's inbox
CONFIRMATION_INTERVAL = timedelta(hours=1)


class SubscriberState(enum.StrEnum):
    PENDING = "pending"  # asked; the confirmation link has not been followed yet
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: uuid.UUID
    address: str
    audience: str
    state: SubscriberState
    confirm_hash: str | None  # SHA-256 of the confirmation token; None once used
    created_at: datetime
    asked_at: datetime  # the last confirmation email, to send at most one an hour
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None


def confirm(subscriber: Subscriber, *, now: datetime) -> Subscriber:
    if subscriber.state is not SubscriberState.PENDING:
        raise IllegalTransition("this subscription is not waiting for confirmation")
    return replace(subscriber, state=SubscriberState.CONFIRMED, confirm_hash=None, confirmed_at=now)


def unsubscribe(subscriber: Subscriber, *, now: datetime) -> Subscriber:
    if subscriber.state is SubscriberState.UNSUBSCRIBED:
        return subscriber
    return replace(
        subscriber, state=SubscriberState.UNSUBSCRIBED, confirm_hash=None, unsubscribed_at=now
    )


def check_audience(value: str, *, field: str = "audience") -> str:
    value = value.strip()
    if not value or len(value) > 100 or not all(c.isalnum() or c in "-_." for c in value):
        raise InvalidInput(
            Problem("must be 1 to 100 letters, digits, '-', '_' or '.'", field=field)
        )
    return value


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    id: uuid.UUID
    url: str
    secret: str
    description: str
    created_by: str
    created_at: datetime
    active: bool = True

    @property
    def masked_secret(self) -> str:
        return mask(self.secret)


def mask(secret: str) -> str:
    """What is shown of a secret after it was created: enough to tell two apart."""
    if len(secret) <= 8:
        return "••••"
    return f"{secret[:4]}…{secret[-2:]}"


def check_webhook_url(url: str, *, allow_http: bool, field: str = "url") -> str:
    value = url.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        raise InvalidInput(Problem("is not a valid URL", field=field)) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput(Problem("must be an https:// URL", field=field))
    if parts.scheme == "http" and not allow_http:
        raise InvalidInput(
            Problem(
                "must be an https:// URL (http is only allowed when "
                "delivery.webhook_allow_http is set, for testing)",
                field=field,
            )
        )
    if len(value) > 2000:
        raise InvalidInput(Problem("is longer than 2000 characters", field=field))
    return value
