"""Tables and repositories of delivery: the outbox, unreachable addresses, job leases, webhook
subscriptions and status subscribers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    String,
    Text,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.adapters.db.models import Base
from candor.adapters.db.repositories import dialect_of
from candor.adapters.db.uow import register_repository
from candor.domain import outbox
from candor.domain.outbox import Channel, Message, State
from candor.domain.subscriptions import Subscriber, SubscriberState, WebhookSubscription
from candor.services.ports_delivery import JobLease, Unreachable

# states a retention scrub makes dead: not sent, or perhaps not (unconfirmed, which an operator
# could otherwise resend)
_UNSENT = tuple(s.value for s in (State.QUEUED, State.HELD, State.SENDING, State.UNCONFIRMED))


class OutboxRow(Base):
    __tablename__ = "outbox_messages"
    # the due query's whole order, so a claim reads one batch, not every queued message
    __table_args__ = (Index("ix_outbox_messages_due", "state", "next_attempt_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(2000))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    headers_json: Mapped[str] = mapped_column(Text, default="{}")
    incident_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")


class UnreachableRow(Base):
    __tablename__ = "unreachable_addresses"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime]
    message_key: Mapped[str | None] = mapped_column(String(300))


class JobLeaseRow(Base):
    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_result: Mapped[str] = mapped_column(Text, default="")


class WebhookRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    # kept so that Candor can sign; shown once at creation, masked everywhere afterwards
    secret: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SubscriberRow(Base):
    __tablename__ = "subscribers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    audience: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), index=True)
    confirm_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    asked_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]


def _message(row: OutboxRow) -> Message:
    return Message(
        id=row.id,
        key=row.key,
        channel=Channel(row.channel),
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        state=State(row.state),
        incident_id=row.incident_id,
        exercise=row.exercise,
        headers=json.loads(row.headers_json),
        attempts=row.attempts,
        last_error=row.last_error,
        sent_at=row.sent_at,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
        updated_at=row.updated_at,
    )


def _row(message: Message) -> dict[str, object]:
    return {
        "id": message.id,
        "key": message.key,
        "channel": message.channel.value,
        "recipient": message.recipient,
        "subject": message.subject,
        "body": message.body,
        "headers_json": json.dumps(message.headers, sort_keys=True),
        "incident_id": message.incident_id,
        "exercise": message.exercise,
        "state": message.state.value,
        "attempts": message.attempts,
        "created_at": message.created_at,
        "updated_at": message.updated_at or message.created_at,
        "next_attempt_at": message.next_attempt_at,
        "sent_at": message.sent_at,
        "lease_owner": message.lease_owner,
        "lease_until": message.lease_until,
        "last_error": message.last_error,
    }


def _changes(message: Message) -> dict[str, object]:
    return {
        "id": message.id,
        "state": message.state.value,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "sent_at": message.sent_at,
        "lease_owner": message.lease_owner,
        "lease_until": message.lease_until,
        "last_error": message.last_error[:4000],
        "updated_at": message.updated_at or message.created_at,
    }


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, message: Message) -> None:
        self.session.execute(insert(OutboxRow), [_row(message)])

    def add_many(self, messages: Sequence[Message]) -> None:
        if messages:
            self.session.execute(insert(OutboxRow), [_row(m) for m in messages])

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            found.update(
                self.session.execute(select(OutboxRow.key).where(OutboxRow.key.in_(chunk)))
                .scalars()
                .all()
            )
        return found

    def get(self, key: str) -> Message | None:
        row = self.session.execute(
            select(OutboxRow).where(OutboxRow.key == key)
        ).scalar_one_or_none()
        return _message(row) if row else None

    def get_by_id(self, id: uuid.UUID) -> Message | None:
        row = self.session.get(OutboxRow, id)
        return _message(row) if row else None

    def save_many(self, messages: Sequence[Message], *, held_by: str | None = None) -> None:
        # A batch mostly changes the same way (all claimed, all sent at one moment): one
        # UPDATE … WHERE id IN (…) per distinct change instead of one per row.
        groups: dict[tuple[tuple[str, object], ...], list[uuid.UUID]] = {}
        for m in messages:
            changes = _changes(m)
            ident = changes.pop("id")
            assert isinstance(ident, uuid.UUID)
            groups.setdefault(tuple(sorted(changes.items())), []).append(ident)
        for values, ids in groups.items():
            for start in range(0, len(ids), 500):
                query = update(OutboxRow).where(OutboxRow.id.in_(ids[start : start + 500]))
                if held_by is not None:
                    query = query.where(
                        OutboxRow.state == State.SENDING.value, OutboxRow.lease_owner == held_by
                    )
                self.session.execute(
                    query.values(dict(values)).execution_options(synchronize_session=False)
                )

    def due(self, *, now: datetime, limit: int) -> list[Message]:
        query = (
            select(OutboxRow)
            .where(OutboxRow.state == State.QUEUED.value, OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if dialect_of(self.session) == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [_message(r) for r in self.session.execute(query).scalars()]

    def expired(self, *, now: datetime) -> list[Message]:
        query = select(OutboxRow).where(
            OutboxRow.state == State.SENDING.value, OutboxRow.lease_until < now
        )
        if dialect_of(self.session) == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [_message(r) for r in self.session.execute(query).scalars()]

    def list(
        self, *, states: Sequence[State] = (), limit: int = 200, offset: int = 0
    ) -> list[Message]:
        query = select(OutboxRow).order_by(OutboxRow.updated_at.desc(), OutboxRow.key)
        if states:
            query = query.where(OutboxRow.state.in_([s.value for s in states]))
        rows = self.session.execute(query.limit(limit).offset(offset)).scalars()
        return [_message(r) for r in rows]

    def counts(self) -> dict[State, int]:
        rows = self.session.execute(
            select(OutboxRow.state, func.count()).group_by(OutboxRow.state)
        ).all()
        out = dict.fromkeys(State, 0)
        for state, n in rows:
            out[State(state)] = n
        return out

    def counts_by_prefix(self, prefix: str) -> dict[State, int]:
        """Messages whose key starts with ``prefix`` (a statement's), by state."""
        rows = self.session.execute(
            select(OutboxRow.state, func.count())
            .where(OutboxRow.key.startswith(prefix, autoescape=True))
            .group_by(OutboxRow.state)
        ).all()
        out = dict.fromkeys(State, 0)
        for state, n in rows:
            out[State(state)] = n
        return out

    def first_sent(self, prefix: str, *, channel: Channel) -> datetime | None:
        return self.session.execute(
            select(func.min(OutboxRow.sent_at)).where(
                OutboxRow.key.startswith(prefix, autoescape=True),
                OutboxRow.channel == channel.value,
                OutboxRow.state == State.SENT.value,
            )
        ).scalar_one_or_none()

    def count_by_prefix(self, prefix: str, *, channel: Channel) -> int:
        return self.session.execute(
            select(func.count()).where(
                OutboxRow.key.startswith(prefix, autoescape=True),
                OutboxRow.channel == channel.value,
            )
        ).scalar_one()

    def scrub_by_prefix(self, prefix: str, *, channel: Channel, marker: str) -> int:
        # in bulk: a notice to a hundred thousand customers is as many rows, bodies and all
        self.session.flush()
        mine = (
            OutboxRow.key.startswith(prefix, autoescape=True),
            OutboxRow.channel == channel.value,
        )
        # nothing left to send: it must never go out with the marker as its text (and
        # ``domain.outbox`` refuses to retry or resend a scrubbed message)
        self.session.execute(
            update(OutboxRow)
            .where(*mine, OutboxRow.state.in_(_UNSENT))
            .values(state=State.DEAD.value, lease_owner=None, lease_until=None, last_error=marker)
            .execution_options(synchronize_session=False)
        )
        count = self.session.execute(
            update(OutboxRow)
            .where(*mine)
            .values(
                key=literal(outbox.scrubbed_key(prefix, "")) + cast(OutboxRow.id, String),
                recipient=marker,
                body=marker,
                headers_json="{}",
                last_error=case(
                    (func.coalesce(OutboxRow.last_error, "") == "", OutboxRow.last_error),
                    else_=marker,
                ),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        # a bounce names the message it came from, whose key held the address and the statement
        self.session.execute(
            update(UnreachableRow)
            .where(UnreachableRow.message_key.startswith(prefix, autoescape=True))
            .values(message_key=None)
            .execution_options(synchronize_session=False)
        )
        self.session.expire_all()  # rows loaded before now read the scrubbed values
        return int(count)

    def next_due(self) -> datetime | None:
        return self.session.execute(
            select(func.min(OutboxRow.next_attempt_at)).where(OutboxRow.state == State.QUEUED.value)
        ).scalar_one_or_none()

    # unreachable addresses

    def mark_unreachable(self, item: Unreachable) -> bool:
        if self.session.get(UnreachableRow, item.address) is not None:
            return False
        self.session.add(
            UnreachableRow(
                address=item.address, reason=item.reason, since=item.since, message_key=item.key
            )
        )
        self.session.flush()
        return True

    def unreachable(self, address: str) -> Unreachable | None:
        row = self.session.get(UnreachableRow, address)
        return Unreachable(row.address, row.reason, row.since, row.message_key) if row else None

    def unreachable_list(self) -> list[Unreachable]:
        rows = self.session.execute(
            select(UnreachableRow).order_by(UnreachableRow.since.desc())
        ).scalars()
        return [Unreachable(r.address, r.reason, r.since, r.message_key) for r in rows]

    def clear_unreachable(self, address: str) -> bool:
        row = self.session.get(UnreachableRow, address)
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True


class SqlJobLeases:
    def __init__(self, session: Session) -> None:
        self.session = session

    def acquire(self, name: str, *, owner: str, now: datetime, until: datetime) -> bool:
        query = select(JobLeaseRow).where(JobLeaseRow.name == name)
        if dialect_of(self.session) == "postgresql":
            query = query.with_for_update()
        row = self.session.execute(query).scalar_one_or_none()
        if row is None:
            self.session.add(JobLeaseRow(name=name, owner=owner, lease_until=until, last_result=""))
            row = None
        elif (
            row.owner not in (None, owner) and row.lease_until is not None and row.lease_until > now
        ):
            return False
        else:
            row.owner = owner
            row.lease_until = until
        self.session.flush()
        return True

    def renew(self, name: str, *, owner: str, until: datetime) -> bool:
        result = self.session.execute(
            update(JobLeaseRow)
            .where(JobLeaseRow.name == name, JobLeaseRow.owner == owner)
            .values(lease_until=until)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def started(self, name: str, *, owner: str, now: datetime) -> None:
        self.session.execute(
            update(JobLeaseRow)
            .where(JobLeaseRow.name == name, JobLeaseRow.owner == owner)
            .values(last_started_at=now)
        )

    def release(self, name: str, *, owner: str, now: datetime, result: str) -> None:
        self.session.execute(
            update(JobLeaseRow)
            .where(JobLeaseRow.name == name, JobLeaseRow.owner == owner)
            .values(owner=None, lease_until=None, last_finished_at=now, last_result=result[:4000])
        )

    def list(self) -> list[JobLease]:
        rows = self.session.execute(select(JobLeaseRow).order_by(JobLeaseRow.name)).scalars()
        return [
            JobLease(
                r.name, r.owner, r.lease_until, r.last_started_at, r.last_finished_at, r.last_result
            )
            for r in rows
        ]

    def get(self, name: str) -> JobLease | None:
        r = self.session.get(JobLeaseRow, name)
        if r is None:
            return None
        return JobLease(
            r.name, r.owner, r.lease_until, r.last_started_at, r.last_finished_at, r.last_result
        )


def _webhook(row: WebhookRow) -> WebhookSubscription:
    return WebhookSubscription(
        id=row.id,
        url=row.url,
        secret=row.secret,
        description=row.description,
        created_by=row.created_by,
        created_at=row.created_at,
        active=row.active,
    )


class SqlWebhooks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, hook: WebhookSubscription) -> None:
        self.session.add(
            WebhookRow(
                id=hook.id,
                url=hook.url,
                secret=hook.secret,
                description=hook.description,
                created_by=hook.created_by,
                created_at=hook.created_at,
                active=hook.active,
            )
        )
        self.session.flush()

    def get(self, id: uuid.UUID) -> WebhookSubscription | None:
        row = self.session.get(WebhookRow, id)
        return _webhook(row) if row else None

    def list(self, *, active_only: bool = True) -> list[WebhookSubscription]:
        query = select(WebhookRow).order_by(WebhookRow.created_at, WebhookRow.id)
        if active_only:
            query = query.where(WebhookRow.active.is_(True))
        return [_webhook(r) for r in self.session.execute(query).scalars()]

    def deactivate(self, id: uuid.UUID) -> None:
        self.session.execute(update(WebhookRow).where(WebhookRow.id == id).values(active=False))


def _subscriber(row: SubscriberRow) -> Subscriber:
    return Subscriber(
        id=row.id,
        address=row.address,
        audience=row.audience,
        state=SubscriberState(row.state),
        confirm_hash=row.confirm_hash,
        created_at=row.created_at,
        asked_at=row.asked_at,
        confirmed_at=row.confirmed_at,
        unsubscribed_at=row.unsubscribed_at,
    )


class SqlSubscribers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, subscriber: Subscriber) -> None:
        self.session.add(
            SubscriberRow(
                id=subscriber.id,
                address=subscriber.address,
                audience=subscriber.audience,
                state=subscriber.state.value,
                confirm_hash=subscriber.confirm_hash,
                created_at=subscriber.created_at,
                asked_at=subscriber.asked_at,
                confirmed_at=subscriber.confirmed_at,
                unsubscribed_at=subscriber.unsubscribed_at,
            )
        )
        self.session.flush()

    def save(self, subscriber: Subscriber) -> None:
        self.session.execute(
            update(SubscriberRow)
            .where(SubscriberRow.id == subscriber.id)
            .values(
                audience=subscriber.audience,
                state=subscriber.state.value,
                confirm_hash=subscriber.confirm_hash,
                asked_at=subscriber.asked_at,
                confirmed_at=subscriber.confirmed_at,
                unsubscribed_at=subscriber.unsubscribed_at,
            )
        )

    def get(self, id: uuid.UUID) -> Subscriber | None:
        row = self.session.get(SubscriberRow, id)
        return _subscriber(row) if row else None

    def by_address(self, address: str) -> Subscriber | None:
        row = self.session.execute(
            select(SubscriberRow).where(SubscriberRow.address == address)
        ).scalar_one_or_none()
        return _subscriber(row) if row else None

    def by_confirm_hash(self, digest: str) -> Subscriber | None:
        row = self.session.execute(
            select(SubscriberRow).where(SubscriberRow.confirm_hash == digest)
        ).scalar_one_or_none()
        return _subscriber(row) if row else None

    def list(
        self, *, audience: str | None = None, state: SubscriberState | None = None
    ) -> list[Subscriber]:
        query = select(SubscriberRow).order_by(SubscriberRow.created_at, SubscriberRow.address)
        if audience is not None:
            query = query.where(SubscriberRow.audience == audience)
        if state is not None:
            query = query.where(SubscriberRow.state == state.value)
        return [_subscriber(r) for r in self.session.execute(query).scalars()]


register_repository("outbox", SqlOutbox)
register_repository("job_leases", SqlJobLeases)
register_repository("webhooks", SqlWebhooks)
register_repository("subscribers", SqlSubscribers)
