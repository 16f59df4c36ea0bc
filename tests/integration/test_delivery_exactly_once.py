"""The outbox's acceptance test: personalised notices to a real SMTP server on loopback, sent by
`candor worker` in a subprocess that is killed with SIGKILL at random moments and restarted.

Nothing may be received twice; every message ends `sent` or `unconfirmed`; every `sent` one
was received exactly once; after the operator settles the unconfirmed ones (checking the sink,
as they would check with the receiver) every message was received exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from candor.adapters.clock import SystemClock
from candor.adapters.db import delivery as _delivery  # noqa: F401 - registers the outbox
from candor.adapters.db import migrate
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.domain.access import SYSTEM
from candor.domain.outbox import State, message_id
from candor.services import jobs, outbox
from candor.services.context import Context
from candor.services.ports_delivery import with_delivery
from tests.conftest import ROOT, drop_postgres_schema, new_postgres_schema
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


def test_sigkill_five_times_never_delivers_twice(store: tuple[str, int], tmp_path: Path) -> None:
    url, count = store
    engine = make_engine(url)
    migrate.upgrade(engine)
    ctx = context(engine)
    keys = fill(ctx, count)
    sink = Sink().start()
    rng = random.Random(8)  # noqa: S311 - kill timing, not cryptography
    env = worker_env(url, tmp_path, sink.port)
    started = time.monotonic()
    # Two workers share the job through its lease; the one delivering is killed and a fresh
    # one started, so the other takes over once the lease expires (and starting Python is
    # not on the clock).
    workers = {name: start_worker(env, "--name", name) for name in ("w0", "w1")}
    try:
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
        sys.stdout.write(
            f"{count} messages, 5 kills, {by_state[State.UNCONFIRMED]} unconfirmed "
            f"({arrived} had arrived, {resend} resent), {time.monotonic() - started:.1f} s\n"
        )
    finally:
        sink.stop()
        engine.dispose()


def test_refused_connections_are_retried_then_delivered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    ctx = context(engine)
    keys = fill(ctx, 300, prefix="refused")
    port = free_port()  # nothing listens yet: connections are refused
    env = worker_env(url, tmp_path, port)
    worker = start_worker(env)
    sink = Sink(port)
    try:
        wait_for(
            lambda: min(m.attempts for m in outbox.messages(ctx, SYSTEM, limit=1000)) >= 2,
            timeout=120,  # the worker's start, then two runs of the job (every 5 s)
            what="two failed attempts",
        )
        waiting = outbox.messages(ctx, SYSTEM, limit=1000)
        # queued with backoff, or claimed again by the worker at this very moment
        assert {m.state for m in waiting} <= {State.QUEUED, State.SENDING}
        assert all("cannot connect" in m.last_error for m in waiting)
        queued = [m for m in waiting if m.state is State.QUEUED]
        assert queued and all(m.updated_at and m.next_attempt_at > m.updated_at for m in queued)
        assert states(ctx)[State.SENT] == 0
        sink.start()
        wait_for(lambda: states(ctx)[State.SENT] == 300, timeout=60, what="delivery")
        received = sink.recorder.received()
        assert all(received[message_id(k, domain=DOMAIN)] == 1 for k in keys)
        assert sum(received.values()) == 300
    finally:
        assert worker.stdout is not None
        worker.stdout.readline()
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=30)
        sink.controller.stop(no_assert=True)
        engine.dispose()
    assert worker.returncode == 0
