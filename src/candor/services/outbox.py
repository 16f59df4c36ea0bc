"""The outbox: every outgoing email and webhook is a stored message first, delivered by the
worker afterwards (docs/delivery.md).

For other features (statements, reminders, subscriptions)::

    enqueue(uow, key=..., channel="email", recipient=..., subject=..., body=...,
            incident_id=..., exercise=..., own_domains=ctx.delivery.own_domains)

inside their own write transaction: the message exists exactly when their change does. The key
is unique; enqueuing the same key again returns the stored message and changes nothing.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from candor.domain import outbox as model
from candor.domain.access import Actor, require_admin
from candor.domain.audit import AuditDraft
from candor.domain.bounces import Bounce
from candor.domain.errors import InvalidInput, NotFound
from candor.domain.outbox import Channel, Message, Outcome, Result, State
from candor.services.context import Context
from candor.services.ports import UnitOfWork
from candor.services.ports_delivery import (
    DeliverySetup,
    DeliveryUnitOfWork,
    Transport,
    Unreachable,
    with_delivery,
)

# Called inside the transaction that marks an address unreachable (a permanent rejection or a
# bounce): ``hook(uow, address, reason, now)``. The customers feature marks its contact here.
ADDRESS_UNREACHABLE: list[Callable[[UnitOfWork, str, str, datetime], None]] = []


def enqueue(
    uow: UnitOfWork,
    *,
    key: str,
    channel: Channel | str,
    recipient: str,
    subject: str,
    body: str,
    now: datetime,
    id_factory: Callable[[], uuid.UUID] = uuid.uuid4,
    incident_id: uuid.UUID | None = None,
    exercise: bool = False,
    headers: Mapping[str, str] | None = None,
    own_domains: Iterable[str] = (),
) -> Message:
    """Store one outgoing message in the caller's transaction; idempotent on ``key``.

    An exercise message to an address outside ``own_domains`` is stored ``held`` and never
    sent (with no domains given, every exercise message is held). A message to an address
    known to be unreachable is stored ``dead`` with the reason, for the operator to see."""
    store = with_delivery(uow)
    existing = store.outbox.get(key)
    if existing is not None:
        return existing
    message = model.new_message(
        id=id_factory(),
        key=key,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        now=now,
        incident_id=incident_id,
        exercise=exercise,
        headers=dict(headers or {}),
        own_domains=own_domains,
    )
    if message.state is State.QUEUED and message.channel is Channel.EMAIL:
        gone = store.outbox.unreachable(message.recipient)
        if gone is not None:
            message = replace(
                message,
                state=State.DEAD,
                last_error=f"address unreachable since {gone.since:%Y-%m-%d %H:%M} UTC: "
                f"{gone.reason}",
            )
    store.outbox.add(message)
    return message


@dataclass(frozen=True, slots=True)
class Draft:
    """One message for ``enqueue_many``."""

    key: str
    recipient: str
    subject: str
    body: str
    channel: Channel = Channel.EMAIL
    headers: Mapping[str, str] | None = None


def enqueue_many(
    uow: UnitOfWork,
    drafts: Sequence[Draft],
    *,
    now: datetime,
    incident_id: uuid.UUID | None = None,
    exercise: bool = False,
    own_domains: Iterable[str] = (),
    id_factory: Callable[[], uuid.UUID] = uuid.uuid4,
) -> int:
    """``enqueue`` for many messages at once (a statement to every customer contact): keys
    already stored are skipped; returns how many were added. All are checked before any is
    stored: one bad address stores nothing and names the draft."""
    store = with_delivery(uow)
    domains = tuple(own_domains)
    seen = store.outbox.existing_keys([d.key for d in drafts])
    fresh: list[Message] = []
    problems = []
    for number, d in enumerate(drafts):
        if d.key in seen:
            continue
        seen.add(d.key)
        try:
            fresh.append(
                model.new_message(
                    id=id_factory(),
                    key=d.key,
                    channel=d.channel,
                    recipient=d.recipient,
                    subject=d.subject,
                    body=d.body,
                    now=now,
                    incident_id=incident_id,
                    exercise=exercise,
                    headers=dict(d.headers or {}),
                    own_domains=domains,
                )
            )
        except InvalidInput as exc:
            problems += [
                replace(p, field=f"messages[{number}].{p.field}" if p.field else None)
                for p in exc.problems
            ]
    if problems:
        raise InvalidInput(problems)
    unreachable = {u.address for u in store.outbox.unreachable_list()}
    fresh = [
        replace(m, state=State.DEAD, last_error="address unreachable")
        if m.state is State.QUEUED and m.channel is Channel.EMAIL and m.recipient in unreachable
        else m
        for m in fresh
    ]
    store.outbox.add_many(fresh)
    return len(fresh)


def backoff_of(setup: DeliverySetup) -> model.Backoff:
    return model.Backoff(
        base=timedelta(seconds=setup.retry_base_seconds),
        cap=timedelta(seconds=setup.retry_cap_seconds),
        max_attempts=setup.max_attempts,
    )


@dataclass
class DeliveryRun:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    unconfirmed: int = 0
    expired: int = 0

    def summary(self) -> str:
        parts = [f"{self.sent} sent"]
        for label, n in (
            ("to retry", self.retried),
            ("dead", self.dead),
            ("unconfirmed", self.unconfirmed),
            ("unconfirmed after a lost lease", self.expired),
        ):
            if n:
                parts.append(f"{n} {label}")
        return ", ".join(parts)


def recover_expired(ctx: Context, *, now: datetime) -> int:
    """``sending`` messages whose worker stopped holding them (it died or hung): they may or
    may not have reached the receiver, so they become ``unconfirmed``, never resent blindly."""
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        stale = uow.outbox.expired(now=now)
        if not stale:
            return 0
        uow.outbox.save_many(
            [
                replace(
                    m,
                    state=State.UNCONFIRMED,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                    last_error=(
                        f"the worker {m.lease_owner} stopped while sending; "
                        "the receiver may or may not have it"
                    ),
                )
                for m in stale
            ]
        )
        uow.commit()
        return len(stale)


def claim(ctx: Context, *, worker: str, now: datetime, limit: int) -> list[Message]:
    """Take a batch of due messages: ``sending`` under this worker's lease, committed before
    any of them is handed to a transport."""
    until = now + timedelta(seconds=ctx.delivery.lease_seconds)
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        due = uow.outbox.due(now=now, limit=limit)
        claimed = [
            replace(m, state=State.SENDING, lease_owner=worker, lease_until=until, updated_at=now)
            for m in due
        ]
        uow.outbox.save_many(claimed)
        uow.commit()
    return claimed


def settle(
    ctx: Context,
    batch: Sequence[Message],
    results: Sequence[Result],
    *,
    now: datetime,
    jitter: Callable[[], float] = random.random,
) -> DeliveryRun:
    """Record what the transports reported for a claimed batch, in one transaction."""
    run = DeliveryRun()
    backoff = backoff_of(ctx.delivery)
    by_key = {r.key: r for r in results}
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        after = []
        for message in batch:
            result = by_key.get(message.key) or Result(
                message.key, Outcome.UNKNOWN, "the transport reported nothing for this message"
            )
            done = model.after_attempt(message, result, now=now, backoff=backoff, jitter=jitter())
            after.append(done)
            match done.state:
                case State.SENT:
                    run.sent += 1
                case State.QUEUED:
                    run.retried += 1
                case State.UNCONFIRMED:
                    run.unconfirmed += 1
                case State.DEAD:
                    run.dead += 1
            if result.outcome is Outcome.PERMANENT and message.channel is Channel.EMAIL:
                _unreachable(uow, message.recipient, result.detail, now, key=message.key)
        # only rows still held: a batch that outlived its lease is the operator's now
        held: dict[str, list[Message]] = {}
        for claimed, done in zip(batch, after, strict=True):
            held.setdefault(claimed.lease_owner or "", []).append(done)
        for worker, rows in held.items():
            uow.outbox.save_many(rows, held_by=worker)
        uow.commit()
    return run


def deliver(
    ctx: Context,
    transports: Callable[[Channel], Transport],
    *,
    worker: str,
    keep_going: Callable[[], bool] = lambda: True,
    jitter: Callable[[], float] = random.random,
) -> DeliveryRun:
    """Deliver everything due, batch by batch, until nothing is due or ``keep_going()`` says
    stop (checked between batches: a batch in flight is always finished and settled)."""
    total = DeliveryRun()
    total.expired = recover_expired(ctx, now=ctx.clock.now())
    while keep_going():
        batch = claim(ctx, worker=worker, now=ctx.clock.now(), limit=ctx.delivery.batch)
        if not batch:
            break
        results: list[Result] = []
        for channel in Channel:
            mine = [m for m in batch if m.channel is channel]
            if not mine:
                continue
            try:
                results += transports(channel).deliver(mine)
            except Exception as exc:
                # which of them went out is unknown: unconfirmed, for the operator to settle,
                # while the other channels' results are still recorded
                detail = f"the {channel.value} transport failed: {exc!r}"[:2000]
                results += [Result(m.key, Outcome.UNKNOWN, detail) for m in mine]
        run = settle(ctx, batch, results, now=ctx.clock.now(), jitter=jitter)
        total.sent += run.sent
        total.retried += run.retried
        total.dead += run.dead
        total.unconfirmed += run.unconfirmed
    return total


def _unreachable(
    uow: DeliveryUnitOfWork, address: str, reason: str, now: datetime, *, key: str | None
) -> bool:
    added = uow.outbox.mark_unreachable(Unreachable(address, reason[:2000], now, key))
    if added:
        for hook in ADDRESS_UNREACHABLE:
            hook(uow, address, reason, now)
    return added


# the operator's side


def messages(
    ctx: Context, actor: Actor, *, states: Sequence[State] = (), limit: int = 200
) -> list[Message]:
    require_admin(actor)
    with ctx.uow() as base:
        return with_delivery(base).outbox.list(states=states, limit=limit)


def counts(ctx: Context, actor: Actor) -> dict[State, int]:
    require_admin(actor)
    with ctx.uow() as base:
        return with_delivery(base).outbox.counts()


def unreachable_addresses(ctx: Context, actor: Actor) -> list[Unreachable]:
    require_admin(actor)
    with ctx.uow() as base:
        return with_delivery(base).outbox.unreachable_list()


def _change(
    ctx: Context,
    actor: Actor,
    key: str,
    action: str,
    change: Callable[[Message, datetime], Message],
    detail: str,
) -> Message:
    require_admin(actor)
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        message = uow.outbox.get(key)
        if message is None:
            raise NotFound(f"no outbox message with key {key!r}")
        changed = change(message, now)
        uow.outbox.save_many([changed])
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action=action,
                target_type="outbox_message",
                target_id=key,
                before={"state": message.state.value},
                after={"state": changed.state.value},
                detail=detail,
            )
        )
        uow.commit()
    return changed


def retry(ctx: Context, actor: Actor, key: str) -> Message:
    """Put a dead message back in the queue."""
    return _change(
        ctx, actor, key, "outbox.retry", lambda m, now: model.retry(m, now=now), "retried"
    )


def resolve(ctx: Context, actor: Actor, key: str, *, received: bool) -> Message:
    """Settle an unconfirmed message: the operator checked whether the receiver has it."""
    return _change(
        ctx,
        actor,
        key,
        "outbox.resolve",
        lambda m, now: model.resolve(m, received=received, now=now),
        "received" if received else "resend",
    )


def record_bounce(ctx: Context, actor: Actor, bounce: Bounce) -> list[str]:
    """Mark the permanently failed recipients of a delivery-status notification unreachable;
    returns the addresses newly marked."""
    require_admin(actor)
    now = ctx.clock.now()
    marked: list[str] = []
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        for failure in bounce.permanent:
            reason = f"bounced {failure.status}: {failure.diagnostic or failure.action}"
            if _unreachable(uow, failure.address, reason, now, key=None):
                marked.append(failure.address)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="outbox.bounce",
                target_type="unreachable_address",
                target_id=",".join(f.address for f in bounce.permanent)[:200] or "none",
                after={"marked": marked, "reporting_mta": bounce.reporting_mta},
                detail=f"{len(bounce.recipients)} recipients in the report",
            )
        )
        uow.commit()
    return marked
