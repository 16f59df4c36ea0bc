"""Publishing a statement queues its messages (services/statement_delivery.py), on SQLite and
PostgreSQL: recipients per audience, personalisation, idempotency, exercises held, bounces, and
the real worker job delivering to an SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from candor.adapters import inventory_file
from candor.adapters.notify.smtp import SmtpTransport
from candor.adapters.rules_files import load_secret_catalogue
from candor.domain.errors import InvalidInput
from candor.domain.metrics import Measure
from candor.domain.milestones import Audience, Milestone
from candor.domain.outbox import Channel, Message, State
from candor.domain.statements import State as StatementState
from candor.domain.subscriptions import Subscriber, SubscriberState
from candor.services import (
    delivery_jobs,
    incidents,
    inventory,
    learn_metrics,
    retros,
    scope,
    statement_delivery,
    statements,
    subscriptions,
)
from candor.services import timeline as timeline_service
from candor.services.context import Context
from candor.services.jobs import JobEnv
from candor.services.ports_delivery import DeliverySetup, with_delivery
from tests.conftest import ADMIN, ALICE, BOB, ROOT
from tests.contract.test_statement_services import CAROL, ERIN
from tests.delivery.sink import Sink
from tests.fakes import FakeClock

EXAMPLE = ROOT / "docs" / "examples" / "inventory.yaml"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SETUP = DeliverySetup(
    own_domains=("example.org",),
    from_address="security@example.org",
    public_url="https://status.example.org",
    link_key=b"k" * 32,
)


@pytest.fixture
def ctx(sql_ctx: Context) -> Context:
    clock = sql_ctx.clock
    assert isinstance(clock, FakeClock)
    clock.current = NOW
    catalogue = load_secret_catalogue()
    made = replace(
        sql_ctx, delivery=SETUP, secrets=lambda: catalogue, organization="Example SaaS Inc."
    )
    doc = inventory_file.load(EXAMPLE, kind="inventory")
    inventory.import_inventory(made, ALICE, doc.data, file=doc.file, locate=doc.locate)
    return made


def declare(ctx: Context, *, exercise: bool = False) -> str:
    key = incidents.declare(
        ctx,
        ALICE,
        title="Collector credentials store accessed",
        kind="personal_data_breach",
        severity="SEV1",
        exercise=exercise,
    ).key
    incidents.assign_role(ctx, ALICE, key, "counsel", "erin")
    incidents.assign_role(ctx, ALICE, key, "incident_lead", "bob")
    incidents.assign_role(ctx, ALICE, key, "comms_lead", "carol")
    return key


def publish(
    ctx: Context,
    key: str,
    *,
    audience: str,
    channels: str = "email",
    ref: str = "",
    kind: str = "customer_notice",
) -> int:
    s = statements.draft(
        ctx,
        ALICE,
        key,
        kind=kind,
        audience=audience,
        audience_ref=ref,
        channels=channels,
        title="Collector credentials exposed",
        body="Rotate the credentials listed below.",
    )
    statements.submit(ctx, ALICE, key, s.number)
    statements.approve(ctx, ERIN, key, s.number)
    statements.approve(ctx, BOB, key, s.number)
    statements.publish(ctx, CAROL, key, s.number)
    return s.number


def messages(ctx: Context) -> list[Message]:
    with ctx.uow() as uow:
        return with_delivery(uow).outbox.list(limit=1000)


def by_recipient(ctx: Context) -> dict[str, Message]:
    return {m.recipient: m for m in messages(ctx) if m.channel is Channel.EMAIL}


def timeline_text(ctx: Context, key: str) -> str:
    with ctx.uow() as uow:
        incident = uow.incidents.get(key)
        assert incident is not None
        return "\n".join(e.body for e in uow.timeline.list(incident.id))


def compromise(ctx: Context, key: str) -> None:
    scope.mark_system(ctx, ALICE, key, "collector-credentials", "confirmed")


def test_affected_customers_get_their_own_credentials_only(ctx: Context) -> None:
    key = declare(ctx)
    compromise(ctx, key)
    number = publish(ctx, key, audience="affected_customers")
    sent = by_recipient(ctx)
    # initech's only contact and acme's operations address are not verified: not reachable
    assert sorted(sent) == ["it@globex.example", "security@acme.example"]
    acme, globex = sent["security@acme.example"], sent["it@globex.example"]
    assert acme.key.startswith("statement:") and acme.key.endswith(":security@acme.example")
    assert "Dear Dana Reyes," in acme.body and "ASIA****VBMX" in acme.body
    assert "Rotate the credentials listed below." in acme.body
    [glx] = [
        a
        for a in scope.affected_customers(ctx, _incident(ctx, key))
        if a.customer.name == "Globex Ltd"
    ]
    globex_key = glx.credentials[0].credential.masked
    assert globex_key in globex.body and globex_key not in acme.body
    assert "ASIA****VBMX" not in globex.body
    assert {m.state for m in sent.values()} == {State.QUEUED}
    text = timeline_text(ctx, key)
    assert f"Statement #{number} delivery: 2 email message(s)" in text
    assert "2 contact(s) could not be reached" in text and "bill@initech.example" in text
    status = statement_delivery.delivery_status(ctx, ALICE, key, number)
    assert status[State.QUEUED] == 2 and sum(status.values()) == 2


def _incident(ctx: Context, key: str) -> Any:
    with ctx.uow() as uow:
        return uow.incidents.get(key)


def test_all_customers_reach_unverified_contacts_but_not_bounced_ones(ctx: Context) -> None:
    inventory.mark_unreachable(ctx, ALICE, "ops@acme.example", "550 5.1.1 no such user")
    key = declare(ctx)
    publish(ctx, key, audience="all_customers")
    assert sorted(by_recipient(ctx)) == [
        "bill@initech.example",
        "it@globex.example",
        "security@acme.example",
    ]
    assert "1 contact(s) could not be reached: acme: ops@acme.example" in timeline_text(ctx, key)


def test_one_customer_and_an_unknown_customer(ctx: Context) -> None:
    key = declare(ctx)
    compromise(ctx, key)
    publish(ctx, key, audience="customer", ref="globex", kind="credential_rotation")
    [only] = by_recipient(ctx).values()
    assert only.recipient == "it@globex.example" and "metrics collector" in only.body
    s = statements.draft(
        ctx, ALICE, key, kind="customer_notice", audience="customer", audience_ref="nobody",
        channels="email", title="Notice", body="Text.",
    )  # fmt: skip
    statements.submit(ctx, ALICE, key, s.number)
    statements.approve(ctx, ERIN, key, s.number)
    statements.approve(ctx, BOB, key, s.number)
    with pytest.raises(InvalidInput) as caught:
        statements.publish(ctx, CAROL, key, s.number)
    assert caught.value.problems[0].field == "audience_ref"
    _, still = statements.get(ctx, ALICE, key, s.number)
    assert still.state is StatementState.APPROVED and len(messages(ctx)) == 1


def test_public_goes_to_confirmed_subscribers_with_unsubscribe_headers(ctx: Context) -> None:
    with ctx.uow(write=True) as uow:
        store = with_delivery(uow)
        for address, state in (
            ("reader@news.example", SubscriberState.CONFIRMED),
            ("pending@news.example", SubscriberState.PENDING),
        ):
            store.subscribers.add(
                Subscriber(ctx.new_id(), address, "status", state, None, NOW, NOW, NOW)
            )
        uow.commit()
    key = declare(ctx)
    publish(ctx, key, audience="public", channels="status_site,email", kind="update")
    [only] = by_recipient(ctx).values()
    assert only.recipient == "reader@news.example"
    assert only.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://status.example.org/subscriptions/unsubscribe/" in only.body


def _emails(ctx: Context, addresses: dict[str, str]) -> None:
    with ctx.uow(write=True) as uow:
        for name, address in addresses.items():
            user = uow.users.get(name)
            assert user is not None
            uow.users.save(replace(user, email=address))
        uow.commit()


def test_internal_goes_to_users_and_exercises_hold_outside_addresses(ctx: Context) -> None:
    _emails(ctx, {"alice": "alice@example.org", "bob": "bob@gmail.example"})
    key = declare(ctx, exercise=True)
    number = publish(ctx, key, audience="internal", kind="update")
    sent = by_recipient(ctx)
    assert sorted(sent) == ["alice@example.org", "bob@gmail.example"]
    assert sent["alice@example.org"].state is State.QUEUED
    assert sent["bob@gmail.example"].state is State.HELD
    status = statement_delivery.delivery_status(ctx, ALICE, key, number)
    assert (status[State.QUEUED], status[State.HELD]) == (1, 1)
    assert "1 held" in timeline_text(ctx, key)


def test_regulator_notices_are_not_emailed(ctx: Context) -> None:
    key = declare(ctx)
    publish(ctx, key, audience="regulator", ref="#1", kind="regulator_notice")
    assert messages(ctx) == []
    assert "counsel files it" in timeline_text(ctx, key)


def test_publish_hooks_never_enqueue_twice(ctx: Context) -> None:
    _emails(ctx, {"alice": "alice@example.org"})
    subscriptions.add_webhook(ctx, ADMIN, url="https://hooks.example.org/candor")
    key = declare(ctx)
    number = publish(ctx, key, audience="internal", channels="email,webhook", kind="update")
    before = sorted((m.key, m.state) for m in messages(ctx))
    assert [k for k, _ in before if ":webhook:" in k] and len(before) == 2
    _, published = statements.get(ctx, ALICE, key, number)
    with ctx.uow(write=True) as uow:  # the hook again, as a retried request would run it
        incident = uow.incidents.get(key)
        assert incident is not None
        statement_delivery.on_published(ctx, uow, incident, published, NOW)
        uow.commit()
    assert sorted((m.key, m.state) for m in messages(ctx)) == before


def test_personalise_writes_one_message_per_address(ctx: Context) -> None:
    """What publishing queues and bench/notices.py times: the first recipient listed for an
    address (in any case) gets the message, greeted by name, with that customer's name."""
    key = declare(ctx)
    number = publish(ctx, key, audience="internal", kind="update")
    _, published = statements.get(ctx, ALICE, key, number)
    acme, globex = (inventory.customer(ctx, ALICE, c) for c in ("acme", "globex"))
    drafts = statement_delivery.personalise(
        ctx,
        published,
        [
            statement_delivery.Recipient("Shared@Both.example", "Pat", customer=acme),
            statement_delivery.Recipient(" shared@both.example", "Sam", customer=globex),
            statement_delivery.Recipient("it@globex.example", customer=globex),
        ],
    )
    assert [(d.recipient, d.key.rsplit(":", 1)[1]) for d in drafts] == [
        ("Shared@Both.example", "shared@both.example"),
        ("it@globex.example", "it@globex.example"),
    ]
    assert all(d.key.startswith(statement_delivery.prefix(published)) for d in drafts)
    assert {d.subject for d in drafts} == {"[Example SaaS Inc.] Collector credentials exposed"}
    assert drafts[0].body.startswith("Dear Pat,\n") and "Sam" not in drafts[0].body
    assert drafts[1].body.startswith("Dear Globex Ltd,\n")
    assert drafts[1].body.endswith("— Example SaaS Inc.\n")


def test_a_bounce_marks_the_customer_contact(ctx: Context) -> None:
    sink = Sink(reject={"security@acme.example": "550 5.1.1 no such user"}).start()
    try:
        key = declare(ctx)
        compromise(ctx, key)
        publish(ctx, key, audience="affected_customers")
        _run_worker(ctx, sink)
    finally:
        sink.stop()
    [acme] = [c for c in inventory.customers(ctx, ALICE) if c.external_id == "acme"]
    [contact] = [c for c in acme.contacts if c.email == "security@acme.example"]
    assert contact.unreachable and "5.1.1" in (contact.unreachable_reason or "")
    assert not acme.ready


def _run_worker(ctx: Context, sink: Sink) -> str:
    transport = SmtpTransport(host="127.0.0.1", port=sink.port, sender=SETUP.from_address)
    env = JobEnv(ctx=ctx, transports=lambda channel: transport, worker="test-worker")
    return delivery_jobs.deliver_outbox(env)


def test_the_worker_delivers_one_personalised_message_to_each_affected_contact(
    ctx: Context,
) -> None:
    sink = Sink()
    sink.recorder.keep = True
    sink.start()
    try:
        key = declare(ctx)
        compromise(ctx, key)
        number = publish(ctx, key, audience="affected_customers")
        summary = _run_worker(ctx, sink)
        again = _run_worker(ctx, sink)
    finally:
        sink.stop()
    assert summary.startswith("2 sent") and again.startswith("0 sent")
    received: list[EmailMessage] = [
        email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
        for raw in sink.recorder.messages
    ]
    to = Counter(str(m["To"]) for m in received)
    assert to == Counter({"security@acme.example": 1, "it@globex.example": 1})
    bodies = {str(m["To"]): m.get_content() for m in received}
    assert "ASIA****VBMX" in bodies["security@acme.example"]
    assert "ASIA****VBMX" not in bodies["it@globex.example"]
    status = statement_delivery.delivery_status(ctx, ALICE, key, number)
    assert status[State.SENT] == 2 and status[State.QUEUED] == 0


def first_customer_communication(ctx: Context, key: str) -> timedelta | None:
    facts = learn_metrics.incident_facts(ctx, ALICE, key)
    return facts.metrics(now=ctx.clock.now()).duration(Measure.TIME_TO_FIRST_CUSTOMER_COMMUNICATION)


def test_published_statements_are_the_incidents_communications(ctx: Context) -> None:
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    key = declare(ctx)
    compromise(ctx, key)
    clock.advance(minutes=30)
    publish(ctx, key, audience="affected_customers")
    # queued is not told: nobody could read the notice yet
    assert learn_metrics.incident_facts(ctx, ALICE, key).communications == []
    assert first_customer_communication(ctx, key) is None
    clock.advance(minutes=15)
    sink = Sink().start()
    try:
        assert _run_worker(ctx, sink).startswith("2 sent")
    finally:
        sink.stop()
    clock.advance(minutes=45)
    publish(ctx, key, audience="public", channels="status_site", kind="update")
    communications = learn_metrics.incident_facts(ctx, ALICE, key).communications
    assert [(c.audience, c.sent_at) for c in communications] == [
        (Audience.CUSTOMERS, NOW + timedelta(minutes=45)),
        (Audience.PUBLIC, NOW + timedelta(minutes=90)),
    ]
    assert first_customer_communication(ctx, key) == timedelta(minutes=45)
    retro = retros.start(ctx, ALICE, key)
    marked = [(i.milestone, i.at) for i in retro.timeline if i.milestone is not None]
    assert (Milestone.FIRST_CUSTOMER_COMMUNICATION, NOW + timedelta(minutes=45)) in marked
    overview = learn_metrics.overview(ctx, ALICE)
    [summary] = [
        s for s in overview.summaries if s.measure is Measure.TIME_TO_FIRST_CUSTOMER_COMMUNICATION
    ]
    assert summary.count == 1 and summary.median == timedelta(minutes=45)


def test_a_status_update_counts_when_published_and_hand_records_still_count(
    ctx: Context,
) -> None:
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    key = declare(ctx)
    clock.advance(minutes=10)
    timeline_service.add(
        ctx, ALICE, key, kind="communication", body="Phoned Acme's CISO.",
        data={"audience": "customers"},
    )  # fmt: skip
    clock.advance(minutes=10)
    publish(ctx, key, audience="public", channels="status_site", kind="update")
    publish(ctx, key, audience="internal", channels="webhook", kind="update")
    communications = learn_metrics.incident_facts(ctx, ALICE, key).communications
    # one communication each: the statement's own timeline entries are not counted again, and
    # a webhook reaches systems, not people
    assert sorted((c.audience, c.sent_at) for c in communications) == [
        (Audience.CUSTOMERS, NOW + timedelta(minutes=10)),
        (Audience.PUBLIC, NOW + timedelta(minutes=20)),
    ]
    assert first_customer_communication(ctx, key) == timedelta(minutes=10)
