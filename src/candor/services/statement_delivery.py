"""Delivery of a published statement: who receives it, and one outbox message each.

Registered on ``statements.STATEMENT_PUBLISHED``, so it runs inside the publish transaction: the
messages exist exactly when the publication does, and publishing again (or a retried request)
never queues twice (keys ``statement:<statement id>:<address>``). The worker sends them.

Recipients by audience (``email`` channel):

- ``all_customers``: every customer contact not marked unreachable, verified or not;
- ``affected_customers``: the reachable contacts of ``scope.affected_customers``;
- ``customer``: the contacts (not marked unreachable) of the customer named in ``audience_ref``;
- ``public``: confirmed subscribers, with the RFC 8058 unsubscribe headers;
- ``internal``: the organisation's active users with an email address;
- ``regulator``: nobody: counsel files the notice through the regulator's own channel.

Messages to customers carry that customer's exposed credentials (masked) with the rotation steps,
and never another customer's. The ``webhook`` channel queues one delivery per webhook
subscription. ``ADDRESS_UNREACHABLE`` flags a customer contact when its address bounces.

Published statements are also the learning metrics' communications
(``learn_metrics.COMMUNICATION_SOURCES``): a status-site statement from its publication, an
e-mailed one from its first message sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from candor.domain import milestones, timeline
from candor.domain.access import SYSTEM, Actor
from candor.domain.audit import AuditDraft
from candor.domain.errors import InvalidInput, NotFound, Problem
from candor.domain.incidents import Incident
from candor.domain.inventory import Contact, Customer
from candor.domain.inventory_scope import ExposedCredential
from candor.domain.milestones import Communication
from candor.domain.outbox import Channel as OutboxChannel
from candor.domain.outbox import State
from candor.domain.statements import Audience, Channel, Statement
from candor.domain.timeline import Entry, EntryKind
from candor.services import (
    export,
    incidents,
    inventory,
    learn_metrics,
    outbox,
    retention,
    scope,
    statements,
    subscriptions,
)
from candor.services.context import Context
from candor.services.inventory import catalogue_of
from candor.services.ports import UnitOfWork
from candor.services.ports_delivery import with_delivery
from candor.services.ports_inventory import with_inventory
from candor.services.ports_statements import with_statements


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    name: str = ""
    customer: Customer | None = None
    credentials: tuple[ExposedCredential, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    unsubscribe: str = ""


@dataclass(frozen=True, slots=True)
class Recipients:
    people: tuple[Recipient, ...]
    unreached: tuple[str, ...] = ()  # "customer: why" for contacts nobody can write to
    note: str = ""  # why nobody is emailed (regulator)


def _key(statement: Statement, address: str) -> str:
    return f"statement:{statement.id}:{address.lower()}"


def prefix(statement: Statement) -> str:
    """Every message of a statement (email and webhook) has a key starting with this."""
    return f"statement:{statement.id}:"


def _customer_people(
    customer: Customer,
    contacts: Sequence[Contact],
    credentials: tuple[ExposedCredential, ...] = (),
) -> list[Recipient]:
    return [
        Recipient(c.email, c.name, customer=customer, credentials=credentials) for c in contacts
    ]


def recipients(
    ctx: Context, uow: UnitOfWork, incident: Incident, statement: Statement
) -> Recipients:
    """Who receives ``statement`` by email, read inside the caller's transaction."""
    audience = statement.audience
    if audience is Audience.REGULATOR:
        return Recipients((), note="a regulator notice is not emailed: counsel files it")
    if audience is Audience.INTERNAL:
        people = [
            Recipient(u.email, u.label) for u in uow.users.list() if u.active and u.email.strip()
        ]
        return Recipients(tuple(people))
    if audience is Audience.PUBLIC:
        found = subscriptions.subscribers_for(uow)
        return Recipients(
            tuple(
                Recipient(
                    s.address,
                    headers=tuple(subscriptions.unsubscribe_headers(ctx.delivery, s).items()),
                    unsubscribe=subscriptions.unsubscribe_url(ctx.delivery, s.id),
                )
                for s in found
            )
        )
    store = with_inventory(uow)
    out: list[Recipient] = []
    unreached: list[str] = []
    if audience is Audience.ALL_CUSTOMERS:
        exposed = _exposed(ctx, uow, incident)
        for customer in store.inventory.customers():
            live = [c for c in customer.contacts if not c.unreachable]
            unreached += [f"{customer.external_id}: {c.email} ({c.unreachable_reason})"
                          for c in customer.contacts if c.unreachable]  # fmt: skip
            if not customer.contacts:
                unreached.append(f"{customer.external_id}: no contact")
            out += _customer_people(customer, live, exposed.get(customer.external_id, ()))
        return Recipients(tuple(out), tuple(unreached))
    if audience is Audience.AFFECTED_CUSTOMERS:
        for affected in scope.affected_customers(uow, incident, catalogue=catalogue_of(ctx)):
            customer = affected.customer
            reachable = affected.reachable_contacts
            unreached += [
                f"{customer.external_id}: {c.email} ({c.unreachable_reason or 'not verified'})"
                for c in customer.contacts
                if not c.reachable
            ]
            if not customer.contacts:
                unreached.append(f"{customer.external_id}: no contact")
            out += _customer_people(customer, reachable, affected.credentials)
        return Recipients(tuple(out), tuple(unreached))
    # Audience.CUSTOMER: one customer, named by its external id
    wanted = statement.audience_ref.strip()
    one = next((c for c in store.inventory.customers() if c.external_id == wanted), None)
    if one is None:
        raise InvalidInput(
            Problem(
                f"no customer {wanted!r} in the customer directory: the notice cannot be emailed",
                field="audience_ref",
            )
        )
    live = [c for c in one.contacts if not c.unreachable]
    unreached = [f"{one.external_id}: {c.email} ({c.unreachable_reason})"
                 for c in one.contacts if c.unreachable]  # fmt: skip
    if not one.contacts:
        unreached.append(f"{one.external_id}: no contact")
    credentials = _exposed(ctx, uow, incident).get(one.external_id, ())
    return Recipients(tuple(_customer_people(one, live, credentials)), tuple(unreached))


def _exposed(
    ctx: Context, uow: UnitOfWork, incident: Incident
) -> dict[str, tuple[ExposedCredential, ...]]:
    """Each affected customer's exposed credentials (none when nothing is in scope)."""
    if not with_inventory(uow).inventory.marks(incident.id):
        return {}
    return {
        a.customer.external_id: a.credentials
        for a in scope.affected_customers(uow, incident, catalogue=catalogue_of(ctx))
    }


def _plain(text: str) -> str:
    return text.strip() + "\n"


def message_text(ctx: Context, statement: Statement, person: Recipient) -> str:
    """The email body for one recipient: a greeting, the statement, then what is theirs."""
    who = person.name or (person.customer.name if person.customer else "")
    lines = [f"Dear {who}," if who else "Hello,", "", statement.title, "", _plain(statement.body)]
    if person.customer is not None and person.credentials:
        lines += [
            f"Credentials of {person.customer.name} exposed in this incident "
            "(rotate each of them now):",
            "",
        ]
        for item in person.credentials:
            cred = item.credential
            label = f" ({cred.label})" if cred.label else ""
            lines.append(f"- {item.type_name} {cred.masked}{label}")
            lines += [f"    {n}. {step}" for n, step in enumerate(item.rotate, 1)]
        lines.append("")
    lines.append(f"— {ctx.organization}")
    if person.unsubscribe:
        lines += ["", f"Stop these updates: {person.unsubscribe}"]
    return "\n".join(lines) + "\n"


def personalise(
    ctx: Context, statement: Statement, people: Sequence[Recipient]
) -> list[outbox.Draft]:
    """One outbox message per address, its body personalised (``message_text``); an address
    listed twice (one contact of two customers) gets the first recipient's message only."""
    subject = f"[{ctx.organization}] {statement.title}"
    drafts: list[outbox.Draft] = []
    seen: set[str] = set()
    for person in people:
        address = person.address.strip().lower()
        if address in seen:
            continue
        seen.add(address)
        drafts.append(
            outbox.Draft(
                key=_key(statement, address),
                recipient=person.address.strip(),
                subject=subject,
                body=message_text(ctx, statement, person),
                headers=dict(person.headers) or None,
            )
        )
    return drafts


def _webhook_body(incident: Incident, statement: Statement) -> str:
    return json.dumps(
        {
            "event": "statement.published",
            "statement": {
                "id": str(statement.id),
                "number": statement.number,
                "kind": statement.kind.value,
                "audience": statement.audience.value,
                "title": statement.title,
                "body": statement.body,
                "corrects": statement.corrects,
                "published_at": statement.published_at.isoformat()
                if statement.published_at
                else None,
                "sha256": statement.content_hash,
            },
        },
        sort_keys=True,
    )


def on_published(
    ctx: Context, uow: UnitOfWork, incident: Incident, statement: Statement, now: datetime
) -> None:
    """Queue the messages of a just-published statement and say on the timeline how many."""
    wants_email = Channel.EMAIL in statement.channels
    wants_webhook = Channel.WEBHOOK in statement.channels
    if not (wants_email or wants_webhook):
        return
    parts: list[str] = []
    found = Recipients(())
    emails = 0
    if wants_email:
        found = recipients(ctx, uow, incident, statement)
        drafts = personalise(ctx, statement, found.people)
        emails = len(drafts)
        outbox.enqueue_many(
            uow,
            drafts,
            now=now,
            incident_id=incident.id,
            exercise=incident.exercise,
            own_domains=ctx.delivery.own_domains,
            id_factory=ctx.new_id,
        )
    hooks = 0
    if wants_webhook:
        hooks = subscriptions.enqueue_webhooks(
            uow,
            key=prefix(statement).rstrip(":"),
            event="statement.published",
            body=_webhook_body(incident, statement),
            now=now,
            incident_id=incident.id,
            exercise=incident.exercise,
        )
    counts = with_delivery(uow).outbox.counts_by_prefix(prefix(statement))
    tally = [(s, n) for s, n in counts.items() if n]
    if wants_email:
        if found.note:
            parts.append(f"No email sent: {found.note}.")
        else:
            parts.append(f"{emails} email message(s) for {_audience(statement)}")
    if wants_webhook:
        parts.append(f"{hooks} webhook delivery(ies)")
    states = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    body = f"Statement #{statement.number} delivery: " + "; ".join(parts)
    body += f" (outbox: {states})." if states else "."
    if found.unreached:
        body += (
            f" {len(found.unreached)} contact(s) could not be reached: "
            + "; ".join(found.unreached[:20])
            + ("…" if len(found.unreached) > 20 else "")
        )
    uow.timeline.append(
        incident.id,
        timeline.draft(
            kind=EntryKind.COMMUNICATION,
            author=SYSTEM.username,
            occurred_at=now,
            body=body,
            data={
                "statement": statement.number,
                "delivery": {s.value: n for s, n in tally},
            },
        ),
        recorded_at=now,
    )
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=SYSTEM.username,
            action="statement.deliver",
            target_type="statement",
            target_id=f"{incident.key}/S{statement.number}",
            incident_key=incident.key,
            after={s.value: n for s, n in counts.items() if n}
            | {"unreached": len(found.unreached)},
            detail=found.note,
        )
    )


def _audience(statement: Statement) -> str:
    text = statement.audience.value.replace("_", " ")
    return f"{text} {statement.audience_ref}" if statement.audience_ref else text


def on_unreachable(uow: UnitOfWork, address: str, reason: str, now: datetime) -> None:
    """A bounce or a permanent rejection: flag the customer contact with that address."""
    if hasattr(uow, "inventory"):
        inventory.mark_address_unreachable(uow, address, reason or "rejected", now)


def delivery_status(ctx: Context, actor: Actor, key: str, number: int) -> dict[State, int]:
    """How a statement's messages stand in the outbox (need-to-know applies)."""
    with ctx.uow() as base:
        incident = incidents.load(base, actor, key)
        found = with_statements(base).statements.get(incident.id, number)
        if found is None:
            raise NotFound(f"{incident.key} has no statement #{number}")
        return with_delivery(base).outbox.counts_by_prefix(prefix(found))


def _export(r: export.Request) -> object:
    """Every statement (drafts, withdrawn, published, corrections, each naming what corrects
    it) with its reviews and, once published, how its messages stand in the outbox."""
    if getattr(r.uow, "statements", None) is None:
        return None
    found = with_statements(r.uow).statements
    items = found.of_incident(r.incident.id)
    has_outbox = getattr(r.uow, "outbox", None) is not None
    out = []
    for s in items:
        delivery = None
        if s.published_at is not None and has_outbox:
            counts = with_delivery(r.uow).outbox.counts_by_prefix(prefix(s))
            delivery = {state.value: n for state, n in counts.items() if n}
        out.append(
            {
                **s.as_dict(),
                "corrected_by": [c.number for c in items if c.corrects == s.number],
                "delivery": delivery,
            }
        )
    return {"delegates": found.delegates(r.incident.id), "statements": out}


def statement_communications(
    uow: UnitOfWork, incident: Incident, entries: list[Entry]
) -> list[Communication]:
    """The incident's published statements as communications, for the learning metrics: when
    each first reached its audience (``milestones.statement_communication`` says when that is)."""
    if not (hasattr(uow, "statements") and hasattr(uow, "outbox")):
        return []  # a unit of work without the statement tables (the in-memory fakes) has none
    out = []
    for statement in with_statements(uow).statements.of_incident(incident.id):
        sent = (
            with_delivery(uow).outbox.first_sent(prefix(statement), channel=OutboxChannel.EMAIL)
            if milestones.awaits_email(statement)
            else None
        )
        found = milestones.statement_communication(statement, first_email_sent_at=sent)
        if found is not None:
            out.append(found)
    return out


def _statements_with_outbox(base: UnitOfWork, incident: Incident) -> list[Statement]:
    if not (hasattr(base, "statements") and hasattr(base, "outbox")):
        return []  # a unit of work without the statement tables (the in-memory fakes) has none
    return with_statements(base).statements.of_incident(incident.id)


def _scrub(base: UnitOfWork, incident: Incident, marker: str) -> dict[str, int]:
    """Retention: each e-mail of the incident's statements loses its recipient address, its
    personalised body (greeting, masked credentials, unsubscribe link), its headers and its
    error text; its state, attempts and times stay, so the counts of who was notified, and
    when, remain. Webhook deliveries carry the published text to the organisation's own
    subscriptions and stay whole."""
    count = sum(
        with_delivery(base).outbox.scrub_by_prefix(
            prefix(s), channel=OutboxChannel.EMAIL, marker=marker
        )
        for s in _statements_with_outbox(base, incident)
    )
    return {"outbox_messages": count} if count else {}


def _count(base: UnitOfWork, incident: Incident) -> dict[str, int]:
    found = _statements_with_outbox(base, incident)
    if not found:
        return {}
    box = with_delivery(base).outbox
    return {
        # an incident is scrubbed once (its tombstone keeps it from the next pass)
        "outbox_messages": sum(
            box.count_by_prefix(prefix(s), channel=OutboxChannel.EMAIL) for s in found
        )
    }


statements.STATEMENT_PUBLISHED.append(on_published)
retention.RETENTION_SCRUBBERS.append(_scrub)
retention.RETENTION_COUNTERS.append(_count)
export.register_exporter("statements", _export)
outbox.ADDRESS_UNREACHABLE.append(on_unreachable)
learn_metrics.COMMUNICATION_SOURCES.append(statement_communications)
