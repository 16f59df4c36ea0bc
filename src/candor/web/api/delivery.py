"""/api/v1/outbox, /webhooks and /subscribers: the same as the admin pages, for automation."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from candor.domain.outbox import Message, State
from candor.domain.subscriptions import Subscriber, WebhookSubscription
from candor.services import outbox, subscriptions
from candor.services.context import Context
from candor.web.deps import Caller, api_auth, application, request_context

router = APIRouter(tags=["delivery"])


class MessageOut(BaseModel):
    key: str
    channel: str
    recipient: str
    subject: str
    state: str
    attempts: int
    exercise: bool
    next_attempt_at: str
    sent_at: str | None
    last_error: str


class KeyIn(BaseModel):
    key: str = Field(..., min_length=1, max_length=300)


class ResolveIn(KeyIn):
    answer: Literal["received", "resend"]


class WebhookIn(BaseModel):
    url: str = Field(..., max_length=2000)
    description: str = Field("", max_length=500)


class WebhookOut(BaseModel):
    id: str
    url: str
    description: str
    secret: str = Field(..., description="Masked, except in the answer to its creation.")
    created_by: str
    created_at: str


class SubscriberOut(BaseModel):
    address: str
    audience: str
    state: str
    created_at: str
    confirmed_at: str | None


def _message(m: Message) -> dict[str, Any]:
    return {
        "key": m.key,
        "channel": m.channel.value,
        "recipient": m.recipient,
        "subject": m.subject,
        "state": m.state.value,
        "attempts": m.attempts,
        "exercise": m.exercise,
        "next_attempt_at": m.next_attempt_at.isoformat(),
        "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        "last_error": m.last_error,
    }


def _hook(h: WebhookSubscription, secret: str | None = None) -> dict[str, Any]:
    return {
        "id": str(h.id),
        "url": h.url,
        "description": h.description,
        "secret": secret or h.masked_secret,
        "created_by": h.created_by,
        "created_at": h.created_at.isoformat(),
    }


def _subscriber(s: Subscriber) -> dict[str, Any]:
    return {
        "address": s.address,
        "audience": s.audience,
        "state": s.state.value,
        "created_at": s.created_at.isoformat(),
        "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
    }


@router.get("/outbox", response_model=list[MessageOut], summary="Outbox messages (admins)")
def list_outbox(
    state: list[State] = Query([]),
    limit: int = Query(200, ge=1, le=10000),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> list[dict[str, Any]]:
    return [_message(m) for m in outbox.messages(ctx, caller.actor, states=state, limit=limit)]


@router.post("/outbox/retry", response_model=MessageOut, summary="Queue a dead message again")
def retry(
    body: KeyIn, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return _message(outbox.retry(ctx, caller.actor, body.key))


@router.post("/outbox/resolve", response_model=MessageOut, summary="Settle an unconfirmed one")
def resolve(
    body: ResolveIn, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    done = outbox.resolve(ctx, caller.actor, body.key, received=body.answer == "received")
    return _message(done)


@router.get("/webhooks", response_model=list[WebhookOut], summary="Webhook subscriptions")
def list_webhooks(
    caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> list[dict[str, Any]]:
    return [_hook(h) for h in subscriptions.webhooks(ctx, caller.actor)]


@router.post(
    "/webhooks",
    response_model=WebhookOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a webhook subscription; the answer holds its secret, once",
)
def add_webhook(
    body: WebhookIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
    app: Any = Depends(application),
) -> dict[str, Any]:
    made = subscriptions.add_webhook(
        ctx,
        caller.actor,
        url=body.url,
        description=body.description,
        allow_http=app.settings.delivery.webhook_allow_http,
    )
    return _hook(made.subscription, made.secret)


@router.delete(
    "/webhooks/{hook_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a webhook"
)
def remove_webhook(
    hook_id: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> None:
    subscriptions.remove_webhook(ctx, caller.actor, hook_id)


@router.get("/subscribers", response_model=list[SubscriberOut], summary="Status subscribers")
def list_subscribers(
    caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> list[dict[str, Any]]:
    return [_subscriber(s) for s in subscriptions.subscribers(ctx, caller.actor)]
