"""The worker's reminder jobs in process, on SQLite and PostgreSQL: obligation deadline
reminders (issue 6) become outbox emails with the reminder's key, once; an exercise's stay
inside the organisation."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from candor.domain.outbox import Channel, State
from candor.services import delivery_jobs, obligations, outbox
from candor.services.context import Context
from candor.services.jobs import JobEnv
from candor.services.ports_delivery import DeliverySetup, Transport
from tests.conftest import ADMIN, ALICE
from tests.contract.test_obligation_services import FACTS, breach, clock_of, ctx, tracked

__all__ = ["ctx"]  # the obligations fixture, used below


def no_transport(channel: Channel) -> Transport:
    raise AssertionError("reminders only queue")


def with_address(ctx: Context, username: str, email: str) -> None:
    with ctx.uow(write=True) as uow:
        user = uow.users.get(username)
        assert user is not None
        uow.users.save(replace(user, email=email))
        uow.commit()


def test_deadline_reminders_are_queued_once(ctx: Context) -> None:
    ctx = replace(ctx, delivery=DeliverySetup(own_domains=("example.org",)))
    with_address(ctx, "alice", "alice@example.org")
    incident = breach(ctx)
    obligations.record_facts(ctx, ALICE, incident.key, {**FACTS, "affected": {"US-TX": 1200}})
    regulator = tracked(ctx, incident.key, "us-tx-regulator")
    assert regulator.computed.deadline is not None
    clock_of(ctx).current = regulator.computed.deadline - timedelta(hours=71)
    env = JobEnv(ctx, no_transport, "w1")
    summary = delivery_jobs.obligations_reminders(env)
    assert f"#{regulator.seq} 72h" in summary
    for _ in range(3):
        assert f"#{regulator.seq} 72h" not in delivery_jobs.obligations_reminders(env)
    queued = outbox.messages(ctx, ADMIN, states=[State.QUEUED], limit=100)
    assert queued and {m.recipient for m in queued} == {"alice@example.org"}
    assert all(m.incident_id == incident.id and not m.exercise for m in queued)
    assert len({m.key for m in queued}) == len(queued)
    assert any("72" in m.body for m in queued)


def test_an_exercise_reminder_to_an_outside_address_is_held(ctx: Context) -> None:
    ctx = replace(ctx, delivery=DeliverySetup(own_domains=("example.org",)))
    with_address(ctx, "alice", "alice@personal.example")
    incident = breach(ctx, exercise=True)
    obligations.record_facts(ctx, ALICE, incident.key, {**FACTS, "affected": {"US-TX": 1200}})
    regulator = tracked(ctx, incident.key, "us-tx-regulator")
    assert regulator.computed.deadline is not None
    clock_of(ctx).current = regulator.computed.deadline - timedelta(hours=71)
    delivery_jobs.obligations_reminders(JobEnv(ctx, no_transport, "w1"))
    messages = outbox.messages(ctx, ADMIN, limit=100)
    assert messages and {m.state for m in messages} == {State.HELD}
    assert all(m.exercise for m in messages)
