"""Ports of delivery: the outbox, job leases, webhook subscriptions, subscribers (implemented in
``adapters/db/delivery.py``) and the transports that carry messages (``adapters/notify``)."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from candor.domain.outbox import Channel, Message, Result, State
from candor.domain.subscriptions import Subscriber, SubscriberState, WebhookSubscription
from candor.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Unreachable:
    address: str
    reason: str
    since: datetime
    key: str | None = None  # the message whose rejection or bounce marked it


@dataclass(frozen=True, slots=True)
class JobLease:
    name: str
    owner: str | None
    lease_until: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_result: str


class OutboxRepository(Protocol):
    def add(self, message: Message) -> None: ...

    def add_many(self, messages: Sequence[Message]) -> None: ...

    def existing_keys(self, keys: Sequence[str]) -> set[str]: ...

    def get(self, key: str) -> Message | None: ...

    def get_by_id(self, id: uuid.UUID) -> Message | None: ...

    def save_many(self, messages: Sequence[Message], *, held_by: str | None = None) -> None:
        """With ``held_by``, only rows still ``sending`` under that worker's lease change: a batch
        that outlived its lease was marked unconfirmed meanwhile, and the operator's decision
        about it must not be overwritten by the late worker."""
        ...

    def due(self, *, now: datetime, limit: int) -> list[Message]: ...

    def expired(self, *, now: datetime) -> list[Message]: ...

    def list(
        self, *, states: Sequence[State] = (), limit: int = 200, offset: int = 0
    ) -> builtins.list[Message]: ...

    def counts(self) -> dict[State, int]: ...

    def counts_by_prefix(self, prefix: str) -> dict[State, int]: ...

    def first_sent(self, prefix: str, *, channel: Channel) -> datetime | None:
        """When the first message of ``channel`` whose key starts with ``prefix`` was sent."""
        ...

    def count_by_prefix(self, prefix: str, *, channel: Channel) -> int: ...

    def scrub_by_prefix(self, prefix: str, *, channel: Channel, marker: str) -> int:
        """Retention: replace the recipient, body, headers and error of each message of
        ``channel`` under ``prefix`` with ``marker`` (its key loses the address); its state and
        times stay. A message not yet sent (or unconfirmed) becomes dead and can never be
        retried (``domain.outbox.is_scrubbed``); a bounce recorded from one no longer names
        it. Returns how many."""
        ...

    def next_due(self) -> datetime | None: ...

    def mark_unreachable(self, item: Unreachable) -> bool: ...

    def unreachable(self, address: str) -> Unreachable | None: ...

    def unreachable_list(self) -> builtins.list[Unreachable]: ...

    def clear_unreachable(self, address: str) -> bool: ...


class JobLeaseRepository(Protocol):
    def acquire(self, name: str, *, owner: str, now: datetime, until: datetime) -> bool: ...

    def renew(self, name: str, *, owner: str, until: datetime) -> bool: ...

    def started(self, name: str, *, owner: str, now: datetime) -> None: ...

    def release(self, name: str, *, owner: str, now: datetime, result: str) -> None: ...

    def list(self) -> list[JobLease]: ...

    def get(self, name: str) -> JobLease | None: ...


class WebhookRepository(Protocol):
    def add(self, hook: WebhookSubscription) -> None: ...

    def get(self, id: uuid.UUID) -> WebhookSubscription | None: ...

    def list(self, *, active_only: bool = True) -> list[WebhookSubscription]: ...

    def deactivate(self, id: uuid.UUID) -> None: ...


class SubscriberRepository(Protocol):
    def add(self, subscriber: Subscriber) -> None: ...

    def save(self, subscriber: Subscriber) -> None: ...

    def get(self, id: uuid.UUID) -> Subscriber | None: ...

    def by_address(self, address: str) -> Subscriber | None: ...

    def by_confirm_hash(self, digest: str) -> Subscriber | None: ...

    def list(
        self, *, audience: str | None = None, state: SubscriberState | None = None
    ) -> list[Subscriber]: ...


class DeliveryUnitOfWork(UnitOfWork, Protocol):
    outbox: OutboxRepository
    job_leases: JobLeaseRepository
    webhooks: WebhookRepository
    subscribers: SubscriberRepository


def with_delivery(uow: UnitOfWork) -> DeliveryUnitOfWork:
    if not hasattr(uow, "outbox"):
        raise RuntimeError(
            "the delivery repositories are not registered: import candor.adapters.db.delivery"
        )
    return cast(DeliveryUnitOfWork, uow)


class Transport(Protocol):
    """Carries messages of one channel. ``deliver`` is given a batch already committed as
    ``sending`` and returns one result per message, in order. It may keep a connection open
    between calls; ``close`` ends it."""

    def deliver(self, messages: Sequence[Message]) -> list[Result]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliverySetup:
    """What delivery needs from the settings (``[delivery]`` and ``[smtp]``)."""

    own_domains: tuple[str, ...] = ()
    from_address: str = "candor@localhost"
    batch: int = 100
    lease_seconds: float = 120.0
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 3600.0
    max_attempts: int = 12
    public_url: str = "http://127.0.0.1:8000"
    # keys the unsubscribe links (an HMAC of the subscriber's id), so none is stored
    link_key: bytes = b""
