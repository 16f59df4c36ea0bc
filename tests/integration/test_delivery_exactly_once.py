"""The outbox's acceptance test: personalised notices to a real SMTP server on loopback, sent by
`candor worker` in a subprocess that is killed with SIGKILL at random moments and restarted.

Nothing may be received twice; every message ends `sent` or `unconfirmed`; every `sent` one
was received exactly once; after the operator settles the unconfirmed ones (checking the sink,
as they would check with the receiver) every message was received exactly once. Run once over
20,000 messages put straight in the outbox, and once over the messages that publishing a
customer notice to 2,000 imported customers queues (each personalised by the product)."""

from __future__ import annotations

import email
import email.policy
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine

from candor import bootstrap, config
from candor.adapters.clock import SystemClock
from candor.adapters.db import delivery as _delivery  # noqa: F401 - registers the outbox
from candor.adapters.db import migrate
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.adapters.passwords import fast_hasher
from candor.domain.access import SYSTEM
from candor.domain.outbox import State, message_id
from candor.services import incidents, inventory, jobs, outbox, statement_delivery, statements
from candor.services.context import Context
from candor.services.ports_delivery import with_delivery
from tests.conftest import (
    ALICE,
    BOB,
    ROOT,
    drop_postgres_schema,
    new_postgres_schema,
    seed_people,
)
from tests.contract.test_statement_services import CAROL, ERIN
from tests.delivery.sink import Sink, free_port

pytestmark = pytest.mark.slow

DOMAIN = "example.org"  # the From address's domain names the Message-IDs


@pytest.fixture(
    params=[
        pytest.param(("sqlite", 20_000), id="sqlite-20000"),
        pytest.param(("postgresql", 3_000), id="postgresql-3000", marks=pytest.mark.postgres),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, int]]:
    kind, count = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'outbox.db'}", count
        return
    schema, url = new_postgres_schema()
    try:
        yield url, count
    finally:
        drop_postgres_schema(schema)


def context(engine: Engine) -> Context:
    return Context(uow=SqlUnitOfWorkFactory(engine), clock=SystemClock())


def fill(ctx: Context, count: int, *, prefix: str = "notice") -> list[str]:
    drafts = [
        outbox.Draft(
            key=f"{prefix}:{n}:recipient:person{n}@customer{n % 97}.example",
            recipient=f"person{n}@customer{n % 97}.example",
            subject=f"Security notice for customer {n % 97}",
            body=f"Dear person {n},\n\nWe write about the incident that affected account {n}.\n",
        )
        for n in range(count)
    ]
    with ctx.uow(write=True) as uow:
        outbox.enqueue_many(uow, drafts, now=ctx.clock.now())
        uow.commit()
    return [d.key for d in drafts]


def worker_env(url: str, home: Path, smtp_port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOR_")}
    env.update(
        PYTHONUNBUFFERED="1",
        CANDOR_HOME=str(home),
        CANDOR_DATABASE_URL=url,
        CANDOR_SECRET_KEY="test-secret-key",
        CANDOR_USER="operator",
        CANDOR_SMTP__HOST="127.0.0.1",
        CANDOR_SMTP__PORT=str(smtp_port),
        CANDOR_SMTP__FROM_ADDRESS=f"security@{DOMAIN}",
        CANDOR_DELIVERY__BATCH="100",
        CANDOR_DELIVERY__LEASE_SECONDS="2",
        CANDOR_DELIVERY__RETRY_BASE_SECONDS="0.2",
        CANDOR_DELIVERY__RETRY_CAP_SECONDS="1",
        CANDOR_DELIVERY__MAX_ATTEMPTS="1000",
    )
    env.update(extra)
    return env


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "candor.cli.app", "worker", "--job", "outbox.deliver", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def states(ctx: Context) -> dict[State, int]:
    with ctx.uow() as uow:
        return with_delivery(uow).outbox.counts()


def wait_for(predicate: object, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def settle_unconfirmed(ctx: Context, sink: Sink) -> tuple[int, int]:
    """The operator's step: for each unconfirmed message, look in the receiver's mailbox."""
    received = sink.recorder.received()
    unconfirmed = outbox.messages(ctx, SYSTEM, states=[State.UNCONFIRMED], limit=1_000_000)
    arrived = resend = 0
    for m in unconfirmed:
        if received[message_id(m.key, domain=DOMAIN)]:
            outbox.resolve(ctx, SYSTEM, m.key, received=True)
            arrived += 1
        else:
            outbox.resolve(ctx, SYSTEM, m.key, received=False)
            resend += 1
    return arrived, resend


def kill_five_times_then_settle(
    ctx: Context, url: str, keys: list[str], home: Path, sink: Sink
) -> str:
    """Deliver ``keys`` with two workers, SIGKILL the one delivering five times (a fresh one
    started each time), settle the unconfirmed ones, deliver the rest: each arrives once."""
    count = len(keys)
    rng = random.Random(8)  # noqa: S311 - kill timing, not cryptography
    env = worker_env(url, home, sink.port)
    started = time.monotonic()
    # Two workers share the job through its lease; the one delivering is killed and a fresh
    # one started, so the other takes over once the lease expires (and starting Python is
    # not on the clock).
    workers = {name: start_worker(env, "--name", name) for name in ("w0", "w1")}
    for kill in range(5):
        before = sum(sink.recorder.received().values())
        # kill only while a worker is delivering, at a random point of its run
        wait_for(
            lambda b=before: sum(sink.recorder.received().values()) > b + 50,
            timeout=60,
            what="the worker to deliver",
        )
        time.sleep(rng.uniform(0.0, 0.5))
        owner = {lease.name: lease.owner for lease in jobs.leases(ctx)}["outbox.deliver"]
        assert owner in workers, owner
        assert states(ctx)[State.QUEUED] > 0, "the kills must land before the queue is empty"
        workers[owner].send_signal(signal.SIGKILL)
        workers.pop(owner).wait()
        workers[f"w{kill + 2}"] = start_worker(env, "--name", f"w{kill + 2}")
    wait_for(
        lambda: (s := states(ctx))[State.QUEUED] == 0 and s[State.SENDING] == 0,
        timeout=120,
        what="the queue to drain",
    )
    for worker in workers.values():
        assert worker.stdout is not None
        assert b"jobs outbox.deliver" in worker.stdout.readline()  # signal handlers set
        worker.send_signal(signal.SIGTERM)  # a clean stop: exit code 0 and a last line
    for worker in workers.values():
        out, errors = worker.communicate(timeout=30)
        assert worker.returncode == 0, errors.decode()
        assert b"stopped" in out

    received = sink.recorder.received()
    twice = [mid for mid, n in received.items() if n > 1]
    assert twice == []
    by_state = states(ctx)
    assert by_state[State.SENT] + by_state[State.UNCONFIRMED] == count, by_state
    sent = outbox.messages(ctx, SYSTEM, states=[State.SENT], limit=1_000_000)
    assert all(received[message_id(m.key, domain=DOMAIN)] == 1 for m in sent)

    arrived, resend = settle_unconfirmed(ctx, sink)
    assert arrived + resend == by_state[State.UNCONFIRMED]
    done = subprocess.run(
        [sys.executable, "-m", "candor.cli.app", "worker", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    received = sink.recorder.received()
    assert states(ctx)[State.SENT] == count
    assert all(received[message_id(k, domain=DOMAIN)] == 1 for k in keys)
    assert sum(received.values()) == count
    return (
        f"{count} messages, 5 kills, {by_state[State.UNCONFIRMED]} unconfirmed "
        f"({arrived} had arrived, {resend} resent), {time.monotonic() - started:.1f} s\n"
    )


def test_sigkill_five_times_never_delivers_twice(store: tuple[str, int], tmp_path: Path) -> None:
    url, count = store
    engine = make_engine(url)
    migrate.upgrade(engine)
    ctx = context(engine)
    keys = fill(ctx, count)
    sink = Sink().start()
    try:
        sys.stdout.write(kill_five_times_then_settle(ctx, url, keys, tmp_path, sink))
    finally:
        sink.stop()
        engine.dispose()


def customers(count: int) -> dict[str, object]:
    """``count`` customers with two contacts each, half of them verified (a notice to all
    customers reaches unverified addresses too)."""
    return {
        "customers": [
            {
                "external_id": f"c{n}",
                "name": f"Customer {n} Ltd",
                "contacts": [
                    {"email": f"security@customer{n}.example", "name": f"Person {n}",
                     "verified": n % 2 == 0},
                    {"email": f"ops@customer{n}.example", "role": "Operations"},
                ],
            }
            for n in range(count)
        ]
    }  # fmt: skip


def publish_customer_notice(ctx: Context, count: int) -> str:
    """Through the real use cases: customers imported, an incident declared, a customer notice
    drafted from the package's template, reviewed, approved and published to all customers.
    Returns the key prefix of its messages."""
    inventory.import_customers(
        ctx, ALICE, customers(count), file="customers.yaml", locate=lambda found: found
    )
    key = incidents.declare(
        ctx, ALICE, title="Collector credentials store accessed", severity="SEV1"
    ).key
    for role, person in (("counsel", "erin"), ("incident_lead", "bob"), ("comms_lead", "carol")):
        incidents.assign_role(ctx, ALICE, key, role, person)
    notice = statements.draft_from_template(
        ctx, ALICE, key, template="customer_notice", audience="all_customers", channels="email"
    )
    statements.submit(ctx, ALICE, key, notice.number)
    statements.approve(ctx, ERIN, key, notice.number)
    statements.approve(ctx, BOB, key, notice.number)
    published = statements.publish(ctx, CAROL, key, notice.number)
    return statement_delivery.prefix(published)


def test_sigkill_five_times_over_a_published_customer_notice(tmp_path: Path) -> None:
    """The outbox filled by publishing: 2,000 imported customers' 4,000 contacts, each message
    personalised by the product, delivered once each through five kills."""
    url = f"sqlite:///{tmp_path / 'candor.db'}"
    settings = config.Settings(
        home=tmp_path,
        database_url=url,
        organization=config.OrganizationSettings(name="Example SaaS Inc."),
        smtp=config.SmtpSettings(from_address=f"security@{DOMAIN}"),
    )
    app = bootstrap.build(settings, hasher=fast_hasher())
    migrate.upgrade(app.engine)
    ctx = seed_people(app.context)
    prefix = publish_customer_notice(ctx, 2_000)
    queued = outbox.messages(ctx, SYSTEM, limit=1_000_000)
    keys = [m.key for m in queued]
    assert len(keys) == 4_000 and all(k.startswith(prefix) for k in keys)
    assert {m.state for m in queued} == {State.QUEUED}
    sink = Sink().start()
    sink.recorder.keep = True
    try:
        sys.stdout.write(kill_five_times_then_settle(ctx, url, keys, tmp_path, sink))
        bodies: dict[str, str] = {}
        for raw in sink.recorder.messages:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            part = parsed.get_body(("plain",))
            assert part is not None
            bodies[str(parsed["To"])] = part.get_content().replace("\r\n", "\n")
        assert len(bodies) == 4_000  # each contact once
        for n in (0, 1, 999, 1_999):
            mine = bodies[f"security@customer{n}.example"]
            assert mine.startswith(f"Dear Person {n},\n")
            assert "Notice of a security incident affecting your data" in mine
            assert "Example SaaS Inc. that involves your data" in mine
            assert bodies[f"ops@customer{n}.example"].startswith(f"Dear Customer {n} Ltd,\n")
    finally:
        sink.stop()
        app.close()


def test_refused_connections_are_retried_then_delivered(tmp_path: Path) -> None:
    """Notices with the SMTP server refusing connections for a while: every message is tried
    and put back with a backoff, then delivered exactly once. 5,000 rather than the 20,000 of
    the kill test: 20,000 took 2.5 minutes here (two failed rounds over all of them first)."""
    count = 5_000
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    ctx = context(engine)
    keys = fill(ctx, count, prefix="refused")
    port = free_port()  # nothing listens yet: connections are refused
    env = worker_env(url, tmp_path, port)
    worker = start_worker(env)
    sink = Sink(port)
    try:
        wait_for(
            lambda: min(m.attempts for m in outbox.messages(ctx, SYSTEM, limit=count)) >= 2,
            timeout=120,  # the worker's start, then two runs of the job (every 5 s)
            what="two failed attempts",
        )
        waiting = outbox.messages(ctx, SYSTEM, limit=count)
        # queued with backoff, or claimed again by the worker at this very moment
        assert {m.state for m in waiting} <= {State.QUEUED, State.SENDING}
        assert all("cannot connect" in m.last_error for m in waiting)
        queued = [m for m in waiting if m.state is State.QUEUED]
        assert queued and all(m.updated_at and m.next_attempt_at > m.updated_at for m in queued)
        assert states(ctx)[State.SENT] == 0
        sink.start()
        wait_for(lambda: states(ctx)[State.SENT] == count, timeout=240, what="delivery")
        received = sink.recorder.received()
        assert all(received[message_id(k, domain=DOMAIN)] == 1 for k in keys)
        assert sum(received.values()) == count
    finally:
        assert worker.stdout is not None
        worker.stdout.readline()
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=30)
        sink.controller.stop(no_assert=True)
        engine.dispose()
    assert worker.returncode == 0
