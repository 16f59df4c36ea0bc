"""Findings-review reminders (issue 5) through `candor worker`: 50 overdue findings across 5
incidents, the worker killed with SIGKILL 10 times while it reminds and delivers; each
reminder is recorded, written to the timeline and received exactly once."""

from __future__ import annotations

import random
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from candor.adapters.clock import SystemClock
from candor.adapters.db import migrate
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.domain.access import SYSTEM, Actor, OrgRole
from candor.domain.accounts import new_user
from candor.domain.outbox import State, message_id
from candor.domain.vocabulary import Role
from candor.services import impact, incidents, jobs, outbox
from candor.services.context import Context
from candor.services.ports_delivery import with_delivery
from tests.delivery.sink import Sink
from tests.fakes import FakeClock
from tests.integration.test_delivery_exactly_once import wait_for, worker_env

pytestmark = pytest.mark.slow

ALICE = Actor("alice", OrgRole.RESPONDER)


def seed(url: str) -> list[str]:
    """Five incidents, ten findings each, added a month ago: all overdue for review. Alice
    (with an address) wrote half; the rest were written by an account without one, so their
    reminders go to the incident lead, Bob. One incident is an exercise whose lead is outside
    the organisation's domain: its reminders are held."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    past = FakeClock(datetime.now(UTC) - timedelta(days=30))
    ctx = Context(uow=SqlUnitOfWorkFactory(engine), clock=past)
    with ctx.uow(write=True) as uow:
        for name, email in (
            ("alice", "alice@example.org"),
            ("bob", "bob@example.org"),
            ("nomail", ""),
            ("eve", "eve@outside.example"),
        ):
            uow.users.add(
                new_user(
                    id=uuid.uuid4(), username=name, email=email, role="responder", now=past.now()
                )
            )
        uow.commit()
    keys = []
    for n in range(5):
        incident = incidents.declare(
            ctx, ALICE, title=f"Incident {n}", severity="SEV2", exercise=n == 4
        )
        incidents.assign_role(
            ctx, SYSTEM, incident.key, Role.INCIDENT_LEAD, "eve" if n == 4 else "bob"
        )
        for f in range(10):
            author = ALICE if f % 2 == 0 else Actor("nomail", OrgRole.RESPONDER)
            impact.add_finding(
                ctx,
                author if n != 4 else Actor("nomail", OrgRole.RESPONDER),
                incident.key,
                summary=f"finding {f} of incident {n}",
                source="logs",
            )
        keys.append(incident.key)
    engine.dispose()
    return keys


def test_each_reminder_once_despite_ten_kills(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reminders.db'}"
    seed(url)
    engine = make_engine(url)
    ctx = Context(uow=SqlUnitOfWorkFactory(engine), clock=SystemClock())
    sink = Sink().start()
    env = worker_env(
        url,
        tmp_path,
        sink.port,
        CANDOR_DELIVERY__OWN_DOMAINS='["example.org"]',
        CANDOR_DELIVERY__BATCH="5",
    )
    rng = random.Random(5)  # noqa: S311 - kill timing

    def launch(name: str) -> subprocess.Popen[bytes]:
        import sys

        from tests.conftest import ROOT

        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "candor.cli.app",
                "worker",
                "--job",
                "findings.reminders",
                "--job",
                "outbox.deliver",
                "--name",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def reminded() -> int:
        with ctx.uow() as uow:
            return sum(
                1
                for m in with_delivery(uow).outbox.list(limit=1000)
                if m.key.startswith("finding-review:")
            )

    workers = {n: launch(n) for n in ("w0", "w1")}
    try:
        for w in workers.values():
            assert w.stdout is not None and b"jobs" in w.stdout.readline()
        for kill in range(10):
            with engine.begin() as conn:  # make the reminder job due again at once
                conn.execute(text("UPDATE job_leases SET last_started_at = NULL"))
            time.sleep(rng.uniform(0.0, 1.0))
            owners = {lease.owner for lease in jobs.leases(ctx) if lease.owner in workers}
            victim = next(iter(owners)) if owners else rng.choice(sorted(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers.pop(victim).wait()
            fresh = launch(f"w{kill + 2}")
            assert fresh.stdout is not None and b"jobs" in fresh.stdout.readline()
            workers[f"w{kill + 2}"] = fresh
        wait_for(lambda: reminded() == 50, timeout=120, what="50 reminders")
        wait_for(
            lambda: (c := outbox.counts(ctx, SYSTEM))[State.QUEUED] == 0 and c[State.SENDING] == 0,
            timeout=60,
            what="delivery",
        )
    finally:
        for w in workers.values():
            w.send_signal(signal.SIGTERM)
        for w in workers.values():
            w.communicate(timeout=30)
        sink.stop()
    messages = outbox.messages(ctx, SYSTEM, limit=1000)
    assert len(messages) == 50 and len({m.key for m in messages}) == 50
    # the exercise incident's lead is outside example.org: held, never sent
    held = [m for m in messages if m.state is State.HELD]
    assert len(held) == 10 and {m.recipient for m in held} == {"eve@outside.example"}
    received = sink.recorder.received()
    assert max(received.values()) == 1
    for m in messages:
        if m.state is State.UNCONFIRMED:
            outbox.resolve(
                ctx,
                SYSTEM,
                m.key,
                received=bool(received[message_id(m.key, domain="example.org")]),
            )
    if outbox.counts(ctx, SYSTEM)[State.QUEUED]:
        sink = Sink(sink.port).start()  # the resent ones
        try:
            done = launch("final")
            wait_for(
                lambda: outbox.counts(ctx, SYSTEM)[State.QUEUED] == 0, timeout=60, what="resend"
            )
            done.send_signal(signal.SIGTERM)
            done.communicate(timeout=30)
            received = received + sink.recorder.received()
        finally:
            sink.stop()
    delivered = [m for m in messages if m.state is not State.HELD]
    assert {m.recipient for m in delivered} == {"alice@example.org", "bob@example.org"}
    assert all(received[message_id(m.key, domain="example.org")] == 1 for m in delivered)
    assert sum(received.values()) == 40
    # one timeline entry per reminder, never two
    with engine.connect() as conn:
        entries = conn.execute(
            text("SELECT count(*) FROM timeline_entries WHERE body LIKE 'Reminder sent to %'")
        ).scalar_one()
    assert entries == 50
    engine.dispose()
