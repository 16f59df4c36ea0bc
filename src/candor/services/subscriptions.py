"""Webhook subscriptions (admins) and email subscribers to the public status updates (anyone,
with double opt-in and one-click unsubscribe).

For the integrator: ``subscribers_for(uow, audience)`` lists confirmed subscribers, and
``unsubscribe_headers(ctx.delivery, subscriber)`` gives the RFC 8058 headers and the link to put
in every message sent to one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from candor.domain import subscriptions as model
from candor.domain.access import Actor, require_admin
from candor.domain.accounts import token_digest
from candor.domain.audit import AuditDraft
from candor.domain.errors import InvalidInput, NotFound, Problem
from candor.domain.outbox import Channel, check_address
from candor.domain.reports import RateLimit, check_rate
from candor.domain.subscriptions import Subscriber, SubscriberState, WebhookSubscription
from candor.services import outbox
from candor.services.context import Context
from candor.services.ports import UnitOfWork
from candor.services.ports_delivery import DeliverySetup, with_delivery
from candor.services.ports_intake import intake

# ---- webhooks ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewWebhook:
    subscription: WebhookSubscription
    secret: str  # shown once


def add_webhook(
    ctx: Context, actor: Actor, *, url: str, description: str = "", allow_http: bool = False
) -> NewWebhook:
    require_admin(actor)
    now = ctx.clock.now()
    checked = model.check_webhook_url(url, allow_http=allow_http)
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = WebhookSubscription(
        id=ctx.new_id(),
        url=checked,
        secret=secret,
        description=description.strip()[:500],
        created_by=actor.username,
        created_at=now,
    )
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        uow.webhooks.add(hook)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="webhook.add",
                target_type="webhook_subscription",
                target_id=str(hook.id),
                after={"url": hook.url, "secret": hook.masked_secret},
                detail=hook.description,
            )
        )
        uow.commit()
    return NewWebhook(hook, secret)


def webhooks(ctx: Context, actor: Actor) -> list[WebhookSubscription]:
    require_admin(actor)
    with ctx.uow() as base:
        return with_delivery(base).webhooks.list()


def remove_webhook(ctx: Context, actor: Actor, id: str) -> WebhookSubscription:
    require_admin(actor)
    now = ctx.clock.now()
    try:
        wanted = uuid.UUID(id)
    except ValueError:
        raise NotFound(f"no webhook subscription {id!r}") from None
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        hook = uow.webhooks.get(wanted)
        if hook is None or not hook.active:
            raise NotFound(f"no webhook subscription {id!r}")
        uow.webhooks.deactivate(hook.id)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="webhook.remove",
                target_type="webhook_subscription",
                target_id=str(hook.id),
                before={"url": hook.url},
            )
        )
        uow.commit()
    return hook


def enqueue_webhooks(
    uow: UnitOfWork,
    *,
    key: str,
    event: str,
    body: str,
    now: datetime,
    incident_id: uuid.UUID | None = None,
    exercise: bool = False,
) -> int:
    """Queue one delivery of ``body`` (JSON) to every active webhook subscription, keyed
    ``<key>:webhook:<subscription id>``; returns how many were queued. Exercise events are
    held (webhooks lead outside the organisation)."""
    store = with_delivery(uow)
    count = 0
    for hook in store.webhooks.list():
        outbox.enqueue(
            uow,
            key=f"{key}:webhook:{hook.id}",
            channel=Channel.WEBHOOK,
            recipient=str(hook.id),
            subject=event,
            body=body,
            now=now,
            incident_id=incident_id,
            exercise=exercise,
        )
        count += 1
    return count


# ---- subscribers -----------------------------------------------------------------------------


def unsubscribe_token(setup: DeliverySetup, subscriber_id: uuid.UUID) -> str:
    """The token in a subscriber's unsubscribe links: an HMAC of the id under the workspace's
    secret key, so none needs storing and none can be guessed."""
    if not setup.link_key:
        raise RuntimeError("the workspace has no secret_key: run `candor init`")
    mac = hmac.new(setup.link_key, b"unsubscribe:" + subscriber_id.bytes, hashlib.sha256)
    return mac.hexdigest()[:40]


def unsubscribe_url(setup: DeliverySetup, subscriber_id: uuid.UUID) -> str:
    token = unsubscribe_token(setup, subscriber_id)
    return f"{setup.public_url}/subscriptions/unsubscribe/{subscriber_id}/{token}"


def unsubscribe_headers(setup: DeliverySetup, subscriber: Subscriber) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs to the link."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(setup, subscriber.id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def subscribers_for(uow: UnitOfWork, audience: str = model.DEFAULT_AUDIENCE) -> list[Subscriber]:
    """Confirmed subscribers of an audience, inside the caller's transaction."""
    return with_delivery(uow).subscribers.list(audience=audience, state=SubscriberState.CONFIRMED)


def subscribe(
    ctx: Context,
    *,
    address: str,
    audience: str = model.DEFAULT_AUDIENCE,
    client_id: str | None = None,
    rate: RateLimit | None = None,
) -> None:
    """Ask for a subscription: a confirmation email goes out through the outbox. The answer is
    the same whether the address was known or not, so the form tells nobody who subscribed."""
    now = ctx.clock.now()
    problems: list[Problem] = []
    try:
        checked = check_address(address, field="email")
    except InvalidInput as exc:
        problems += exc.problems
        checked = ""
    try:
        audience = model.check_audience(audience)
    except InvalidInput as exc:
        problems += exc.problems
    with ctx.uow(write=True) as base:
        if client_id is not None and rate is not None:
            attempts = intake(base).report_attempts
            bucket = f"subscribe:{client_id}"
            check_rate(attempts.recent(bucket, since=now - rate.window), rule=rate, now=now)
            attempts.add(bucket, at=now)
            if problems:
                base.commit()  # count the failed attempt too
        if problems:
            raise InvalidInput(problems)
        uow = with_delivery(base)
        existing = uow.subscribers.by_address(checked)
        if existing is not None and (
            existing.state is SubscriberState.CONFIRMED
            or (
                existing.state is SubscriberState.PENDING
                and now - existing.asked_at < model.CONFIRMATION_INTERVAL
            )
        ):
            base.commit()  # the same answer; no second email within the hour
            return
        token = secrets.token_urlsafe(32)
        if existing is None:
            subscriber = Subscriber(
                id=ctx.new_id(),
                address=checked,
                audience=audience,
                state=SubscriberState.PENDING,
                confirm_hash=token_digest(token),
                created_at=now,
                asked_at=now,
            )
            uow.subscribers.add(subscriber)
        else:
            subscriber = Subscriber(
                id=existing.id,
                address=existing.address,
                audience=audience,
                state=SubscriberState.PENDING,
                confirm_hash=token_digest(token),
                created_at=existing.created_at,
                asked_at=now,
            )
            uow.subscribers.save(subscriber)
        link = f"{ctx.delivery.public_url}/subscriptions/confirm/{token}"
        outbox.enqueue(
            uow,
            key=f"subscriber:{subscriber.id}:confirm:{token_digest(token)[:16]}",
            channel=Channel.EMAIL,
            recipient=checked,
            subject=f"Confirm your subscription to {ctx.organization} status updates",
            body=(
                f"Someone, probably you, asked to receive {ctx.organization}'s status updates "
                f"at this address.\n\nConfirm: {link}\n\n"
                "If it was not you, ignore this message: nothing will be sent without "
                "confirmation.\n"
            ),
            now=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor="anonymous",
                action="subscriber.subscribe",
                target_type="subscriber",
                target_id=str(subscriber.id),
                after={"audience": audience, "state": subscriber.state.value},
            )
        )
        uow.commit()


def confirm(ctx: Context, token: str) -> Subscriber:
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        found = uow.subscribers.by_confirm_hash(token_digest(token)) if token else None
        if found is None:
            raise NotFound("this confirmation link is not valid (used already, or mistyped)")
        confirmed = model.confirm(found, now=now)
        uow.subscribers.save(confirmed)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor="anonymous",
                action="subscriber.confirm",
                target_type="subscriber",
                target_id=str(found.id),
                after={"state": confirmed.state.value},
            )
        )
        uow.commit()
    return confirmed


def unsubscribe(ctx: Context, subscriber_id: str, token: str) -> Subscriber:
    now = ctx.clock.now()
    try:
        sid = uuid.UUID(subscriber_id)
    except ValueError:
        raise NotFound("this unsubscribe link is not valid") from None
    # bytes: compare_digest refuses str with characters outside ASCII (a mangled link)
    if not hmac.compare_digest(unsubscribe_token(ctx.delivery, sid).encode(), token.encode()):
        raise NotFound("this unsubscribe link is not valid")
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        found = uow.subscribers.get(sid)
        if found is None:
            raise NotFound("this unsubscribe link is not valid")
        gone = model.unsubscribe(found, now=now)
        if gone != found:
            uow.subscribers.save(gone)
            uow.audit.append(
                AuditDraft(
                    at=now,
                    actor="anonymous",
                    action="subscriber.unsubscribe",
                    target_type="subscriber",
                    target_id=str(found.id),
                    after={"state": gone.state.value},
                )
            )
        uow.commit()
    return gone


def subscribers(ctx: Context, actor: Actor) -> list[Subscriber]:
    require_admin(actor)
    with ctx.uow() as base:
        return with_delivery(base).subscribers.list()
